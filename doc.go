// Package antomgw is the Go SDK for Antom-compatible payment gateways (Antom
// itself, or an antomgw server): typed request and response bodies, and the
// signed request workflow of the Antom protocol built on package wire.
package antomgw
