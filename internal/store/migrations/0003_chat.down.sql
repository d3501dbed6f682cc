DROP TABLE chat_blocks;
DROP TABLE chat_friend_requests;
DROP TABLE chat_friends;
DROP TABLE chat_messages;
DROP TABLE chat_members;
DROP TABLE chat_conversations;
