package httpapi

import (
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

// routes maps every served path to its operation: /ams/api/v1/payments/X,
// the sandbox variant the official SDKs call for SANDBOX_ client ids, and
// /openapi/v2/payments/X.
var routes = func() map[string]route {
	m := map[string]route{}
	for _, a := range apis {
		m["/ams/api/v1/payments/"+string(a)] = route{a, FamilyV1}
		m["/ams/sandbox/api/v1/payments/"+string(a)] = route{a, FamilyV1}
		m["/openapi/v2/payments/"+string(a)] = route{a, FamilyV2}
	}
	return m
}()

// lookupRoute finds the route of a path. A doubled slash (the official
// SDKs' retrievePaymentSession constant has one) is not normalised: it is
// not a path we serve.
func lookupRoute(path string) (route, bool) {
	r, ok := routes[path]
	if !ok && strings.HasSuffix(path, "/") {
		r, ok = routes[strings.TrimSuffix(path, "/")]
	}
	return r, ok
}
