// Package gatewaytest is the one test gateway of this module's tests, as
// net/http/httptest is for handlers: it runs the gateway inside the test
// or as the real binary, so that the HTTP API, SDK, command and fault tests
// exercise what antomgw serve runs.
//
// # In process
//
// New starts a gateway in the test's process: the parts internal/node wires
// for antomgw serve (use cases, HTTP API, delayed transitions, notification
// delivery) on a SQLite store in a temporary directory, with the simulated
// wallet as processor, served by an httptest.Server. One client, ClientID,
// is registered with MerchantKey; the gateway signs with GatewayKey. The
// keys are pre-generated test keys embedded from testdata/.
//
// Everything runs on a fake Clock that stands still: the wallet's delays,
// payment expiry, refund and cancel windows and the notification retry
// schedule pass only when the test moves it. Gateway.Advance moves the
// clock and then carries out what became due (delayed transitions, then
// notification attempts); Gateway.Step does that without moving the clock;
// Clock.Advance moves time alone. No test needs to sleep for a simulated
// delay. (The 9902 answer is the exception: the API holds it back on the
// real clock, for DefaultSimHold unless WithSimHold says otherwise.)
//
// Gateway.Do sends a signed request and returns the verified answer;
// Gateway.Client returns an SDK client for the gateway. A client that
// polls on its own timers (the SDK's ResolvePayment, antomgw call
// --resolve) talks to Gateway.AdvancePerRequest instead, which moves the
// clock a step before each request. Gateway.Snapshot
// dumps what the store holds through its own queries, so a test can say
// that a refused request changed nothing without reading the database
// file.
//
// # Out of process
//
// Binary builds ./cmd/antomgw once per test process (with -race when the
// test binary has it); StartServe runs "antomgw serve" on a free loopback
// port and waits until it is ready; RunCLI and MustRunCLI run one command.
// A Merchant signs requests to a Process and verifies its answers as
// Gateway.Do does in process. NewSink is a merchant's notification
// endpoint that verifies and counts what a gateway sends it, and WaitFor
// polls for a real process's state with backoff.
package gatewaytest
