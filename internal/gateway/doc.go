// Package gateway is the domain core of the antomgw server: clients and
// their keys, the gateway's own signing keys, payments and refunds with their
// state machines, idempotency, delayed transitions, and the Store and
// Processor seams those need. It imports only the standard library: it knows
// nothing of HTTP, SQL or the Antom JSON shapes, which live in httpapi, the
// store packages and wire.
//
// Service holds the use cases. Every state change and what it causes (a
// delayed transition, later a notification) is written in one Store
// transaction, so nothing acknowledged is lost when the process dies.
package gateway
