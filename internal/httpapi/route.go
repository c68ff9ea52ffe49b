package httpapi

import (
	"slices"
	"strings"

	"github.com/antomgw/antomgw"
)

// Family is a path family: AMS v1 (what the official SDKs call) or the
// omnichannel v2 of the seed document. They differ in body shapes only.
type Family string

// Path families.
const (
	FamilyV1 Family = "v1"
	FamilyV2 Family = "v2"
)

type route struct {
	api    antomgw.API // the operation, whichever path family it came in on
	family Family
}

var apis = []antomgw.API{antomgw.APIPay, antomgw.APIInquiryPayment, antomgw.APICancel, antomgw.APIRefund, antomgw.APIInquiryRefund}

// v1OnlyAPIs are the online checkout's operations, which omnichannel v2
// has no counterpart of: they are served on the AMS v1 and sandbox paths
// only.
var v1OnlyAPIs = []antomgw.API{antomgw.APIConsult, antomgw.APICreatePaymentSession, antomgw.APIRetrievePaymentSession,
	antomgw.APICapture}

// routes maps every served path to its operation: /ams/api/v1/payments/X,
// the sandbox variant the official SDKs call for SANDBOX_ client ids, and
// /openapi/v2/payments/X (not for v1OnlyAPIs). retrievePaymentSession is
// served on the official SDKs' path too, /ams/api//v1/…, double slash and
// all.
var routes = func() map[string]route {
	m := map[string]route{}
	for _, a := range apis {
		m["/ams/api/v1/payments/"+string(a)] = route{a, FamilyV1}
		m["/ams/sandbox/api/v1/payments/"+string(a)] = route{a, FamilyV1}
		m["/openapi/v2/payments/"+string(a)] = route{a, FamilyV2}
	}
	for _, a := range v1OnlyAPIs {
		m["/ams/api/v1/payments/"+string(a)] = route{a, FamilyV1}
		m["/ams/sandbox/api/v1/payments/"+string(a)] = route{a, FamilyV1}
	}
	m["/ams/api//v1/payments/"+string(antomgw.APIRetrievePaymentSession)] = route{antomgw.APIRetrievePaymentSession, FamilyV1}
	m["/ams/sandbox/api//v1/payments/"+string(antomgw.APIRetrievePaymentSession)] = route{antomgw.APIRetrievePaymentSession, FamilyV1}
	return m
}()

// Paths returns every API path the server routes, sorted: the AMS v1,
// sandbox and omnichannel v2 paths of each operation (v1 and sandbox only
// for the online checkout's, with retrievePaymentSession's double-slash
// spellings besides). (/healthz, /readyz and /metrics are served besides.)
func Paths() []string {
	out := make([]string, 0, len(routes))
	for p := range routes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// lookupRoute finds the route of a path, the path as received: a doubled
// slash is not normalised (and nothing in front of the server cleans it),
// so the official SDKs' retrievePaymentSession path is served as it is,
// with no redirect, and both the request's and the answer's signatures
// cover it. No other path with a doubled slash is served.
func lookupRoute(path string) (route, bool) {
	r, ok := routes[path]
	if !ok && strings.HasSuffix(path, "/") {
		r, ok = routes[strings.TrimSuffix(path, "/")]
	}
	return r, ok
}
