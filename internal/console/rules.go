package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

// rulesURL is the page of the scenario rules; a rule's row is at
// rulesURL#r-<id>.
const rulesURL = "/console/scenarios/rules"

// ruleURL links to a rule's row on the rules page.
func ruleURL(id string) string { return rulesURL + "#r-" + url.PathEscape(id) }

// effects are the effects a rule may have, as the add form offers them.
var effects = []struct{ Value, Label string }{
	{string(gateway.EffectResult), "answer a result code"},
	{string(gateway.EffectDelay), "answer late"},
	{string(gateway.EffectDrop), "drop the answer"},
	{string(gateway.EffectHTTP5xx), "answer with an HTTP 5xx status"},
	{string(gateway.EffectNotifyFail), "fail notification deliveries (api notify)"},
}

type rulesData struct {
	Rules   []ruleRow
	Firings []firingRow
	Clients []string
	APIs    []string
	Effects []struct{ Value, Label string }
	// Codes is every result code of the catalogue, for the code input's
	// suggestions; Catalogue the codes of each API.
	Codes     []string
	Catalogue []apiCodes
	Form      ruleForm
	// ProductCodes and InStoreScenarios are the match's suggestions.
	ProductCodes, InStoreScenarios []string
}

type ruleRow struct {
	ID, Client, API, Match, Effect string
	Fired                          int
	Left                           string
	Exhausted                      bool
	Created                        stamp
}

type firingRow struct {
	RuleID, Client, API, Ref string
	At                       stamp
}

type apiCodes struct {
	API   string
	Codes []wire.CodeInfo
}

// ruleForm is the add form as it was sent, so a refused one comes back
// filled in, with Errs[field] next to the field at fault.
type ruleForm struct {
	Client, API, Amount, Currency, RequestID, ProductCode, Scenario string
	Count                                                           string
	UntilRemoved                                                    bool
	Effect, ResultCode, ResultStatus, ResultMessage, Then           string
	ThenAfter, Delay, HTTPStatus, NotifyFail                        string
	Errs                                                            map[string]string
}

// ruleFieldLabels name the add form's fields in a refusal; the keys are
// the form's field names.
var ruleFieldLabels = map[string]string{
	"client": "client", "api": "API", "amount": "amount", "currency": "currency", "requestId": "request id",
	"productCode": "product code", "scenario": "in-store scenario", "count": "count", "effect": "effect",
	"resultCode": "result code", "resultStatus": "result status", "resultMessage": "result message",
	"then": "then", "thenAfter": "then after", "delay": "delay", "httpStatus": "HTTP status", "notifyFail": "notification failure",
}

// coreRuleFields are the add form's names of the fields the core's
// refusals name (as the CLI spells them).
var coreRuleFields = map[string]string{
	"client-id": "client", "api": "api", "count": "count", "request-id": "requestId", "result-code": "resultCode",
	"then": "then", "delay": "delay", "http-status": "httpStatus", "notify-fail": "notifyFail", "effect": "effect",
}

func (c *Console) rules(w http.ResponseWriter, r *http.Request) {
	c.rulesPage(w, r, http.StatusOK, nil, ruleForm{API: string(gateway.ScenarioPay), Count: "1", Effect: string(gateway.EffectResult)})
}

// rulesPage renders the rules page with status; fe, when an action was
// refused, is shown above it and next to its field.
func (c *Console) rulesPage(w http.ResponseWriter, r *http.Request, status int, fe *formError, form ruleForm) {
	ctx := r.Context()
	list, err := c.Service.ScenarioRules(ctx, "")
	if err != nil {
		st, e := c.refused(err, "scenario rules", "")
		c.fail(w, r, st, e.Message)
		return
	}
	now := c.now()
	d := rulesData{Clients: c.clientIDs(r), Effects: effects, Form: form,
		ProductCodes:     []string{gateway.ProductInStore, gateway.ProductCashier},
		InStoreScenarios: []string{gateway.ScenarioPaymentCode, gateway.ScenarioOrderCode, gateway.ScenarioEntryCode}}
	for i := range list {
		v := view.NewScenarioRule(&list[i])
		left := "until removed"
		if v.Remaining >= 0 {
			left = strconv.Itoa(v.Remaining)
		}
		d.Rules = append(d.Rules, ruleRow{ID: v.ID, Client: v.ClientID, API: v.API, Match: view.DescribeMatch(v.Match),
			Effect: v.Describe, Fired: v.Fired, Left: left, Exhausted: v.Exhausted, Created: stampOf(list[i].CreatedAt, now)})
	}
	if fs, err := c.Service.ScenarioFirings(ctx, "", 20); err == nil {
		for _, f := range fs {
			d.Firings = append(d.Firings, firingRow{RuleID: f.RuleID, Client: f.ClientID, API: string(f.API), Ref: f.Ref, At: stampOf(f.At, now)})
		}
	} else {
		c.log().Error("console: scenario firings", "err", err)
	}
	for _, api := range gateway.ScenarioAPIs {
		d.APIs = append(d.APIs, string(api))
		codes := view.ScenarioCodes(api)
		if codes == nil {
			continue
		}
		d.Catalogue = append(d.Catalogue, apiCodes{API: string(api), Codes: codes})
		for _, ci := range codes {
			if !slices.Contains(d.Codes, ci.Code) {
				d.Codes = append(d.Codes, ci.Code)
			}
		}
	}
	slices.Sort(d.Codes)
	if fe != nil && fe.Field != "" {
		// fe.Field is the form's field name here; the banner shows its
		// label, and the message is repeated next to the field.
		if d.Form.Errs == nil {
			d.Form.Errs = map[string]string{}
		}
		d.Form.Errs[fe.Field] = fe.Message
		if l, ok := ruleFieldLabels[fe.Field]; ok {
			e := *fe
			e.Field = l
			fe = &e
		}
	}
	c.render(w, r, status, "rules", &page{Title: "Scenario rules", Nav: "scenarios", Data: d, Err: fe, Back: rulesURL})
}

// readRuleForm reads the add form; the rule is checked by the core
// afterwards. Only the fields of the chosen effect are read.
func readRuleForm(r *http.Request) ruleForm {
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	return ruleForm{Client: v("client"), API: v("api"), Amount: v("amount"), Currency: strings.ToUpper(v("currency")),
		RequestID: v("requestId"), ProductCode: v("productCode"), Scenario: v("scenario"), Count: v("count"),
		UntilRemoved: r.PostFormValue("untilRemoved") != "", Effect: v("effect"), ResultCode: strings.ToUpper(v("resultCode")),
		ResultStatus: strings.ToUpper(v("resultStatus")), ResultMessage: v("resultMessage"), Then: v("then"),
		ThenAfter: v("thenAfter"), Delay: v("delay"), HTTPStatus: v("httpStatus"), NotifyFail: strings.ToLower(v("notifyFail"))}
}

// rule builds the rule the form asks for, as antomgw scenarios add does
// from its flags; the refusal names the form field at fault.
func (f *ruleForm) rule() (gateway.ScenarioRule, *formError) {
	const action = "add rule"
	bad := func(field, format string, args ...any) (gateway.ScenarioRule, *formError) {
		return gateway.ScenarioRule{}, invalid(action, field, format, args...)
	}
	rl := gateway.ScenarioRule{ClientID: f.Client, API: gateway.ScenarioAPI(f.API),
		Match: gateway.ScenarioMatch{Currency: f.Currency, RequestID: f.RequestID, ProductCode: f.ProductCode, Scenario: f.Scenario}}
	if f.Client == "" {
		return bad("client", "choose the client whose calls the rule shapes")
	}
	if f.Amount != "" {
		n, err := strconv.ParseInt(f.Amount, 10, 64)
		if err != nil || n < 0 {
			return bad("amount", "%q is not a whole number of minor units", f.Amount)
		}
		rl.Match.Amount = &n
	}
	if f.Currency != "" {
		if _, err := currency.ParseISO(f.Currency); err != nil || len(f.Currency) != 3 {
			return bad("currency", "%q is not an ISO 4217 currency code", f.Currency)
		}
	}
	if !f.UntilRemoved {
		n, err := strconv.Atoi(f.Count)
		if err != nil || n < 1 {
			return bad("count", "%q is not a whole number of calls, 1 or more (or tick \"until removed\")", f.Count)
		}
		rl.Count = n
	}
	dur := func(field, s string) (time.Duration, *formError) {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, invalid(action, field, "%q is not a duration such as 2s, 1m30s", s)
		}
		return d, nil
	}
	e := &rl.Effect
	switch gateway.EffectKind(f.Effect) {
	case gateway.EffectResult:
		if f.ResultCode == "" {
			return bad("resultCode", "give the result code the calls answer (see the catalogue below)")
		}
		*e = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: f.ResultCode, ResultMessage: f.ResultMessage, Then: f.Then}
		if f.ThenAfter != "" {
			d, fe := dur("thenAfter", f.ThenAfter)
			if fe != nil {
				return gateway.ScenarioRule{}, fe
			}
			e.ThenAfter = d
		}
		if err := view.FillResult(e, f.ResultStatus); err != nil {
			field := "resultCode"
			if f.ResultStatus != "" {
				field = "resultStatus"
			}
			msg := strings.NewReplacer("--result-status", "result status", "--result-code", "result code").Replace(err.Error())
			return bad(field, "%s", msg)
		}
		if e.ResultStatus != "U" && f.ThenAfter != "" {
			return bad("thenAfter", "then after is for a U result code; %s is %s", e.ResultCode, e.ResultStatus)
		}
	case gateway.EffectDelay:
		d, fe := dur("delay", f.Delay)
		if fe != nil {
			return gateway.ScenarioRule{}, fe
		}
		*e = gateway.ScenarioEffect{Kind: gateway.EffectDelay, Delay: d}
	case gateway.EffectDrop:
		*e = gateway.ScenarioEffect{Kind: gateway.EffectDrop}
	case gateway.EffectHTTP5xx:
		n, err := strconv.Atoi(f.HTTPStatus)
		if err != nil {
			return bad("httpStatus", "%q is not an HTTP status (500–599)", f.HTTPStatus)
		}
		*e = gateway.ScenarioEffect{Kind: gateway.EffectHTTP5xx, HTTPStatus: n}
	case gateway.EffectNotifyFail:
		*e = gateway.ScenarioEffect{Kind: gateway.EffectNotifyFail}
		if f.NotifyFail == "timeout" {
			e.NotifyTimeout = true
		} else if n, err := strconv.Atoi(f.NotifyFail); err == nil {
			e.NotifyStatus = n
		} else {
			return bad("notifyFail", "%q is not an HTTP status or timeout", f.NotifyFail)
		}
	default:
		return bad("effect", "choose one effect: %s", effectValues())
	}
	return rl, nil
}

func effectValues() string {
	vs := make([]string, len(effects))
	for i, e := range effects {
		vs[i] = e.Value
	}
	return strings.Join(vs, ", ")
}

// addRule adds a scenario rule through the same use case as antomgw
// scenarios add.
func (c *Console) addRule(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	form := readRuleForm(r)
	rl, fe := form.rule()
	if fe != nil {
		c.rulesPage(w, r, http.StatusBadRequest, fe, form)
		return
	}
	added, err := c.Service.AddScenarioRule(r.Context(), rl)
	if err != nil {
		st, fe := c.refused(err, "add rule", "effect")
		var ge *gateway.Error
		if errors.As(err, &ge) {
			if f, ok := coreRuleFields[ge.Field]; ok {
				fe.Field = f
			}
		}
		c.rulesPage(w, r, st, fe, form)
		return
	}
	redirect(w, r, ruleURL(added.ID), fmt.Sprintf("rule %s added: the %s of %s for client %s: %s",
		added.ID, ruleCount(added), added.API, added.ClientID, added.Effect.Describe()), false)
}

// ruleCount says how many calls a rule shapes.
func ruleCount(r *gateway.ScenarioRule) string {
	switch r.Count {
	case 0:
		return "every call (until removed)"
	case 1:
		return "next call"
	}
	return fmt.Sprintf("next %d calls", r.Count)
}

// removeRule removes a rule; the calls it matched are decided as usual
// again.
func (c *Console) removeRule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.Service.RemoveScenarioRule(r.Context(), id); err != nil {
		st, fe := c.refused(err, "remove rule "+id, "")
		c.rulesPage(w, r, st, fe, ruleForm{API: string(gateway.ScenarioPay), Count: "1", Effect: string(gateway.EffectResult)})
		return
	}
	redirect(w, r, rulesURL, "rule "+id+" removed: the calls it matched are decided as usual again", false)
}
