DROP TABLE house_ledger;
DROP TABLE house;
