package gateway

// LookedFor is lookedFor, for the tests of package gateway_test.
const LookedFor = lookedFor
