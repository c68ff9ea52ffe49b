package console_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/qr"
)

// TestPaymentsListsAPIPayment: a payment made through the API is listed
// on the front page and on /console/payments.
func TestPaymentsListsAPIPayment(t *testing.T) {
	h := newHarness(t)
	id := h.pay("REQ_LIST_1", 1050)
	for _, path := range []string{"/console/", "/console/payments"} {
		r := h.page(path)
		mustContain(t, path, r.Text, id, "REQ_LIST_1", gatewaytest.ClientID, "10.50 USD", "SUCCESS",
			"IN_STORE_PAYMENT / PaymentCode", `href="/console/payments/`+id+`"`, "Payments", "Scenarios")
	}
}

// TestPaymentPageShowsExchanges: the payment page shows the request and
// answer bodies of the pay call and of a later inquiry, and a timeline.
func TestPaymentPageShowsExchanges(t *testing.T) {
	h := newHarness(t)
	id := h.pay("REQ_SHOW_1", 1000)
	h.g.Do(t, gatewaytest.Request{Path: pathInquiry, Body: `{"paymentRequestId":"REQ_SHOW_1"}`})

	r := h.page("/console/payments/" + id)
	mustContain(t, "payment page", r.Text,
		// the pay request and answer, pretty-printed
		`"paymentRequestId": "REQ_SHOW_1"`, `"referenceOrderId": "ORDER_REQ_SHOW_1"`, `"resultCode": "SUCCESS"`,
		// the inquiry request and answer
		"inquiryPayment", `"paymentStatus": "SUCCESS"`,
		"signature verified with key version 1", "Request-Time", "Signature",
		"Timeline", "payment created", "paid", "Refund", "Cancel the payment")
	if n := strings.Count(r.Text, `class="exchange"`); n != 2 {
		t.Errorf("the page shows %d exchanges, want 2 (pay, inquiryPayment)", n)
	}
	if got := h.get("/console/payments/NO_SUCH_PAYMENT"); got.Status != 404 {
		t.Errorf("an unknown payment: status %d, want 404", got.Status)
	}
}

// TestPaymentQR: an OrderCode payment's page shows its code as a QR
// image that reads back as the payment's code value.
func TestPaymentQR(t *testing.T) {
	h := newHarness(t)
	id := h.payScenario("REQ_QR_1", 1000, gatewaytest.Request{}, gateway.ScenarioOrderCode)
	r := h.page("/console/payments/" + id)
	mustContain(t, "payment page", r.Text, "/console/payments/"+id+"/qr.png", "PROCESSING", "Succeed", h.payment(id).ActionURL)
	img := h.get("/console/payments/" + id + "/qr.png")
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: status %d, type %q", img.Status, img.Header.Get("Content-Type"))
	}
	if text, err := qr.Read([]byte(img.Body)); err != nil || text != h.payment(id).ActionURL {
		t.Errorf("qr.png reads %q, %v; want the code value %q", text, err, h.payment(id).ActionURL)
	}
}

// TestPaymentsFilterAndPaging: 60 payments list as 50 and 10 through the
// "Older →" link; filters select by status, request id, client and time.
func TestPaymentsFilterAndPaging(t *testing.T) {
	h := newHarness(t)
	var all []string
	for i := range 60 {
		amount := int64(1000 + i)
		if i%10 == 0 {
			amount = 9906 // F USER_BALANCE_NOT_ENOUGH
		}
		all = append(all, h.pay(fmt.Sprintf("REQ_PAGE_%02d", i), amount))
		if i == 29 {
			h.g.Clock().Advance(time.Hour)
		}
	}

	first := h.page("/console/payments")
	ids1 := paymentIDs(first.Body)
	if len(ids1) != 50 {
		t.Fatalf("first page lists %d payments, want 50", len(ids1))
	}
	// Newest first: the 30 paid after the clock moved lead (payments of
	// one instant are ordered by id).
	if a, b := sorted(ids1[:30]), sorted(all[30:]); !slices.Equal(a, b) {
		t.Errorf("the first 30 rows are %v, want the 30 newest payments %v", a, b)
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older →</a>`).FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatalf("first page has no Older → link")
	}
	mustContain(t, "first page", first.Body, `data-live="/console/payments?partial=rows"`)
	second := h.page(strings.ReplaceAll(m[1], "&amp;", "&"))
	ids2 := paymentIDs(second.Body)
	if len(ids2) != 10 {
		t.Fatalf("second page lists %d payments, want 10", len(ids2))
	}
	mustNotContain(t, "second page", second.Body, `rel="next"`, "data-live")
	if got, want := sorted(append(slices.Clone(ids1), ids2...)), sorted(all); !slices.Equal(got, want) {
		t.Errorf("the two pages list %v, want every payment once %v", got, want)
	}

	// Live rows: just the rows.
	rows := h.page("/console/payments?partial=rows")
	if strings.Contains(rows.Body, "<html") || len(paymentIDs(rows.Body)) != 50 {
		t.Errorf("partial=rows: want 50 rows and no page around them, got %d rows\n%s", len(paymentIDs(rows.Body)), clip(rows.Body, 400))
	}

	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"status", "status=FAIL", 6},
		{"request id", "paymentRequestId=REQ_PAGE_07", 1},
		{"client", "client=" + gatewaytest.ClientID, 50},
		{"other client", "client=NOBODY", 0},
		{"before the hour", "to=" + url.QueryEscape(gatewaytest.NewClock(time.Time{}).Now().Add(30*time.Minute).Format("2006-01-02T15:04")), 30},
		{"after the hour", "from=" + url.QueryEscape(gatewaytest.NewClock(time.Time{}).Now().Add(30*time.Minute).Format("2006-01-02T15:04")) + "&status=SUCCESS", 27},
	} {
		r := h.page("/console/payments?" + c.query)
		if n := len(paymentIDs(r.Body)); n != c.want {
			t.Errorf("%s (%s): %d payments listed, want %d", c.name, c.query, n, c.want)
		}
	}
	if r := h.get("/console/payments?from=yesterday"); r.Status != 400 || !strings.Contains(r.Text, "from") {
		t.Errorf("a bad from: status %d, want 400 naming the field\n%s", r.Status, clip(r.Text, 2000))
	}
	if r := h.get("/console/payments?after=garbage"); r.Status != 400 {
		t.Errorf("a bad cursor: status %d, want 400", r.Status)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
