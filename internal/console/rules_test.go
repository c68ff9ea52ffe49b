package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/traffic"
)

const rulesPath = "/console/scenarios/rules"

// ruleForm is the add form as a browser sends it: every field, the
// unused ones empty.
func ruleForm(set map[string]string) url.Values {
	f := url.Values{}
	for _, k := range []string{"amount", "currency", "requestId", "productCode", "scenario", "resultStatus", "resultMessage",
		"then", "thenAfter", "delay", "httpStatus", "notifyFail"} {
		f.Set(k, "")
	}
	f.Set("client", gatewaytest.ClientID)
	f.Set("api", "pay")
	f.Set("count", "1")
	f.Set("effect", "result")
	f.Set("resultCode", "")
	for k, v := range set {
		f.Set(k, v)
	}
	return f
}

var ruleRowID = regexp.MustCompile(`<tr id="r-(sr_[^"]+)"`)

// TestRulesPage: the page lists no rule, offers the form with the
// clients and APIs, and shows the code catalogue of every API that has
// result codes; the scenarios page links to it.
func TestRulesPage(t *testing.T) {
	h := newHarness(t)
	mustContain(t, "scenarios page", h.page("/console/scenarios").Body, `href="/console/scenarios/rules"`)
	p := h.page(rulesPath)
	mustContain(t, "rules page", p.Text, "No rules", `action="/console/scenarios/rules"`, "<option>"+gatewaytest.ClientID+"</option>",
		"<option>inquiryRefund</option>", "<option>notify</option>",
		// The catalogue: a table per API, status and meaning.
		`id="codes-pay"`, `id="codes-refund"`, `id="codes-cancel"`, `id="codes-inquiryPayment"`, `id="codes-inquiryRefund"`,
		"USER_AMOUNT_EXCEED_LIMIT", "REFUND_AMOUNT_EXCEED", "CANCEL_WINDOW_EXCEED", `<option value="PAYMENT_IN_PROCESS">`)
	mustNotContain(t, "rules page", p.Body, `id="codes-notify"`)
	// The pay table has a code's status and message.
	pay := p.Body[strings.Index(p.Body, `id="codes-pay"`):strings.Index(p.Body, `id="codes-inquiryPayment"`)]
	if !regexp.MustCompile(`<td class="mono">USER_BALANCE_NOT_ENOUGH</td><td><span class="badge bad">F</span></td><td>[^<]+</td>`).MatchString(pay) {
		t.Errorf("the pay catalogue has no F row for USER_BALANCE_NOT_ENOUGH:\n%s", clip(pay, 3000))
	}
	if !strings.Contains(pay, `<td class="mono">PAYMENT_IN_PROCESS</td><td><span class="badge wait">U</span>`) {
		t.Errorf("the pay catalogue has no U row for PAYMENT_IN_PROCESS")
	}
}

// TestRuleShapesExchange: a rule added from the console is listed, fires
// on the next pay, which FAILs with the rule's code, and the exchange and
// the payment name the rule; then it is exhausted, and removed.
func TestRuleShapesExchange(t *testing.T) {
	h := newHarness(t)
	loc, next := h.submit(rulesPath, ruleForm(map[string]string{"resultCode": "user_amount_exceed_limit", "amount": "4200", "currency": "usd"}))
	m := regexp.MustCompile(`^/console/scenarios/rules#r-(sr_\S+)$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("add redirected to %q, want the rule's row", loc)
	}
	id := m[1]
	mustContain(t, "rules page after add", next.Text, "rule "+id+" added: the next call of pay for client "+gatewaytest.ClientID+": F USER_AMOUNT_EXCEED_LIMIT",
		`<tr id="r-`+id+`">`, "[amount=4200 currency=USD]")
	rules, err := h.g.Service().ScenarioRules(t.Context(), "")
	if err != nil || len(rules) != 1 || rules[0].ID != id || rules[0].Count != 1 || *rules[0].Match.Amount != 4200 ||
		rules[0].Effect.ResultStatus != "F" || rules[0].Effect.ResultMessage == "" {
		t.Fatalf("stored rules %+v (%v), want the one added", rules, err)
	}

	// Another amount is decided by the wallet; 4200 by the rule.
	h.pay("NOT_MATCHED", 4300)
	rep := h.g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("SHAPED", 4200, gateway.ScenarioPaymentCode)})
	var a struct {
		Result struct{ ResultStatus, ResultCode string }
	}
	if err := json.Unmarshal(rep.Plain, &a); err != nil || a.Result.ResultStatus != "F" || a.Result.ResultCode != "USER_AMOUNT_EXCEED_LIMIT" {
		t.Fatalf("pay 4200 answered %s (%v), want F USER_AMOUNT_EXCEED_LIMIT", rep.Plain, err)
	}
	xs := h.c.Traffic.List(traffic.Filter{ClientID: gatewaytest.ClientID, PaymentRequestID: "SHAPED", Limit: 10})
	if len(xs) != 1 {
		t.Fatalf("%d exchanges of SHAPED, want 1", len(xs))
	}
	x := xs[0]
	if x.RuleID != id {
		t.Fatalf("exchange rule %q, want %s", x.RuleID, id)
	}
	ex := h.page(fmt.Sprintf("/console/requests/%d", x.ID))
	mustContain(t, "exchange page", ex.Text, "Scenario rule", `href="/console/scenarios/rules#r-`+id+`"`, id+"</a> — F USER_AMOUNT_EXCEED_LIMIT")
	list := h.page("/console/requests")
	mustContain(t, "requests list", list.Text, `title="shaped by scenario rule `+id+`: F USER_AMOUNT_EXCEED_LIMIT">rule</a>`)
	if n := strings.Count(list.Body, ">rule</a>"); n != 1 {
		t.Errorf("%d exchanges marked as shaped by a rule, want 1 (the other pay was not)", n)
	}
	// pay F records a FAIL payment; its page names the rule in the
	// timeline and the exchanges.
	if p := h.payment(x.PaymentID); p.Status != gateway.PaymentFail || p.ResultCode != "USER_AMOUNT_EXCEED_LIMIT" {
		t.Errorf("shaped payment %s %s, want FAIL USER_AMOUNT_EXCEED_LIMIT", p.Status, p.ResultCode)
	}
	pp := h.page("/console/payments/" + x.PaymentID)
	mustContain(t, "payment page", pp.Text, "(scenario rule "+id+": F USER_AMOUNT_EXCEED_LIMIT)</span>",
		"scenario rule <a href=\"/console/scenarios/rules#r-"+id+"\" class=\"mono\">"+id+"</a>: F USER_AMOUNT_EXCEED_LIMIT")
	notShaped := h.c.Traffic.List(traffic.Filter{ClientID: gatewaytest.ClientID, PaymentRequestID: "NOT_MATCHED", Limit: 10})
	if len(notShaped) != 1 || notShaped[0].RuleID != "" {
		t.Fatalf("NOT_MATCHED exchanges %+v, want one with no rule", notShaped)
	}
	mustNotContain(t, "unshaped exchange page", h.page(fmt.Sprintf("/console/requests/%d", notShaped[0].ID)).Text, "Scenario rule")

	// The rule fired once: exhausted, with its firing listed.
	p := h.page(rulesPath)
	mustContain(t, "rules page after the pay", p.Text, `<tr id="r-`+id+`" class="done">`, "exhausted", "Recent firings (1)", "<td class=\"mono\">SHAPED</td>")

	loc, next = h.submit(rulesPath+"/"+id+"/remove", nil)
	if loc != rulesPath {
		t.Errorf("remove redirected to %q", loc)
	}
	mustContain(t, "rules page after remove", next.Text, "rule "+id+" removed", "No rules")
	r := h.post(rulesPath+"/"+id+"/remove", nil)
	if r.Status != http.StatusNotFound {
		t.Errorf("removing it again: status %d, want 404", r.Status)
	}
	mustContain(t, "second remove", r.Text, "remove rule "+id+" refused", "no scenario rule "+id)
}

// TestAddRuleEffects: each effect the CLI offers can be added from the
// form, and is stored as the CLI would store it.
func TestAddRuleEffects(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		form map[string]string
		want string // the effect's description
		left string
	}{
		{map[string]string{"resultCode": "PAYMENT_IN_PROCESS", "then": "fail:RISK_REJECT", "thenAfter": "30s", "count": "3"}, "U PAYMENT_IN_PROCESS, then fail:RISK_REJECT after 30s", "3"},
		{map[string]string{"resultCode": "SOME_PRODUCTION_CODE", "resultStatus": "F", "api": "refund"}, "F SOME_PRODUCTION_CODE", "1"},
		{map[string]string{"effect": "delay", "delay": "2s", "api": "inquiryPayment", "requestId": "ORDER_*"}, "delay 2s", "1"},
		{map[string]string{"effect": "drop", "untilRemoved": "1", "productCode": "CASHIER_PAYMENT"}, "drop the answer", "until removed"},
		{map[string]string{"effect": "http5xx", "httpStatus": "503", "api": "cancel"}, "HTTP 503", "1"},
		{map[string]string{"effect": "notify-fail", "notifyFail": "timeout", "api": "notify"}, "notification delivery times out", "1"},
		{map[string]string{"effect": "notify-fail", "notifyFail": "502", "api": "notify", "scenario": "OrderCode"}, "notification delivery answers HTTP 502", "1"},
	} {
		loc, next := h.submit(rulesPath, ruleForm(c.form))
		id := strings.TrimPrefix(loc, rulesPath+"#r-")
		row := next.Text[strings.Index(next.Text, `<tr id="r-`+id+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		mustContain(t, "row of "+c.want, row, "<td>"+c.want+"</td>", "<td>"+c.left+"</td>")
	}
	rules, err := h.g.Service().ScenarioRules(t.Context(), gatewaytest.ClientID)
	if err != nil || len(rules) != 7 {
		t.Fatalf("%d rules (%v), want 7", len(rules), err)
	}
	if r := rules[1]; r.API != gateway.ScenarioRefund || r.Effect.ResultStatus != "F" {
		t.Errorf("uncatalogued code rule %+v", r)
	}
	if r := rules[3]; r.Count != 0 || r.Match.ProductCode != gateway.ProductCashier || r.Effect.Kind != gateway.EffectDrop {
		t.Errorf("until-removed rule %+v", r)
	}
}

// TestAddRuleRefused: a refused rule comes back filled in, with the
// message above the form and next to the field at fault; nothing is
// stored.
func TestAddRuleRefused(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		form         map[string]string
		label, field string // the banner's label, the form field
		msg          string
	}{
		{map[string]string{"client": "NOBODY", "resultCode": "RISK_REJECT"}, "client", "client", "client NOBODY is not registered"},
		{map[string]string{"client": "", "resultCode": "RISK_REJECT"}, "client", "client", "choose the client"},
		{map[string]string{"api": "capturePayment", "resultCode": "RISK_REJECT"}, "API", "api", `api "capturePayment" is not one of`},
		{map[string]string{"api": "notify", "resultCode": "RISK_REJECT"}, "API", "api", "notify-fail is the one effect of api notify"},
		{map[string]string{"resultCode": ""}, "result code", "resultCode", "give the result code"},
		{map[string]string{"resultCode": "NOT_A_CODE"}, "result code", "resultCode", "result code NOT_A_CODE is not in the catalogue"},
		{map[string]string{"resultCode": "RISK_REJECT", "resultStatus": "U"}, "result status", "resultStatus", "RISK_REJECT has status F in the catalogue"},
		{map[string]string{"resultCode": "RISK_REJECT", "then": "success"}, "then", "then", "then is for a U result code"},
		{map[string]string{"resultCode": "PAYMENT_IN_PROCESS", "then": "later"}, "then", "then", `then "later" is not success, never or fail:CODE`},
		{map[string]string{"resultCode": "PAYMENT_IN_PROCESS", "thenAfter": "soon"}, "then after", "thenAfter", `"soon" is not a duration`},
		{map[string]string{"effect": "delay", "delay": "abc"}, "delay", "delay", `"abc" is not a duration`},
		{map[string]string{"effect": "delay", "delay": "11m"}, "delay", "delay", "at most 10m"},
		{map[string]string{"effect": "http5xx", "httpStatus": "404"}, "HTTP status", "httpStatus", "404 is not a 5xx status"},
		{map[string]string{"effect": "http5xx", "httpStatus": "x"}, "HTTP status", "httpStatus", `"x" is not an HTTP status`},
		{map[string]string{"effect": "notify-fail", "api": "notify", "notifyFail": "200"}, "notification failure", "notifyFail", "200 is not an HTTP status other than 2xx"},
		{map[string]string{"effect": "notify-fail", "api": "notify", "notifyFail": "soon"}, "notification failure", "notifyFail", `"soon" is not an HTTP status or timeout`},
		{map[string]string{"effect": "explode"}, "effect", "effect", "choose one effect"},
		{map[string]string{"resultCode": "RISK_REJECT", "count": "0"}, "count", "count", `"0" is not a whole number of calls`},
		{map[string]string{"resultCode": "RISK_REJECT", "amount": "1.5"}, "amount", "amount", `"1.5" is not a whole number of minor units`},
		{map[string]string{"resultCode": "RISK_REJECT", "currency": "XYZ"}, "currency", "currency", `"XYZ" is not an ISO 4217 currency code`},
		{map[string]string{"resultCode": "RISK_REJECT", "requestId": "ORDER_["}, "request id", "requestId", "is not a valid glob"},
	} {
		r := h.post(rulesPath, ruleForm(c.form))
		if r.Status != http.StatusBadRequest {
			t.Errorf("%v: status %d, want 400", c.form, r.Status)
			continue
		}
		mustContain(t, fmt.Sprintf("refusal of %v", c.form), r.Text, `<strong>add rule refused</strong> — <span class="field">`+c.label+`</span>: `, c.msg)
		// The message is shown next to its field, inside the field's label.
		at := strings.Index(r.Text, `name="`+c.field+`"`)
		label := r.Text[max(at, 0):]
		label = label[:strings.Index(label, "</label>")]
		if at < 0 || !strings.Contains(label, `<span class="field-error" role="alert">`) || !strings.Contains(label, c.msg) {
			t.Errorf("%v: the message is not next to field %s", c.form, c.field)
		}
		if n := strings.Count(r.Body, `class="field-error"`); n != 1 {
			t.Errorf("%v: %d field errors, want 1", c.form, n)
		}
		// The form comes back as sent.
		for k, v := range c.form {
			if v != "" && (k == "amount" || k == "delay" || k == "thenAfter" || k == "httpStatus" || k == "requestId") &&
				!strings.Contains(r.Text, `name="`+k+`" value="`+v+`"`) {
				t.Errorf("%v: field %s not sent back as %q", c.form, k, v)
			}
		}
	}
	if rules, _ := h.g.Service().ScenarioRules(t.Context(), ""); len(rules) != 0 {
		t.Errorf("%d rules stored by refused forms", len(rules))
	}
}

// TestRuleFormsCrossOrigin: adding and removing rules is refused from
// another site, like every console form.
func TestRuleFormsCrossOrigin(t *testing.T) {
	h := newHarness(t)
	r := h.request(http.MethodPost, rulesPath, ruleForm(map[string]string{"resultCode": "RISK_REJECT"}), map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.Status != http.StatusForbidden {
		t.Errorf("add from another site: status %d, want 403", r.Status)
	}
	if rules, _ := h.g.Service().ScenarioRules(t.Context(), ""); len(rules) != 0 {
		t.Fatalf("a cross-site form added %d rules", len(rules))
	}
	loc, _ := h.submit(rulesPath, ruleForm(map[string]string{"resultCode": "RISK_REJECT"}))
	id := strings.TrimPrefix(loc, rulesPath+"#r-")
	r = h.request(http.MethodPost, rulesPath+"/"+id+"/remove", url.Values{}, map[string]string{"Origin": "https://evil.example"})
	if r.Status != http.StatusForbidden {
		t.Errorf("remove from another origin: status %d, want 403", r.Status)
	}
	if rules, _ := h.g.Service().ScenarioRules(t.Context(), ""); len(rules) != 1 {
		t.Errorf("a cross-origin remove left %d rules, want 1", len(rules))
	}
}
