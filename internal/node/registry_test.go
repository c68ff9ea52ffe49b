package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/wire"
)

// TestRegistryRefresh: with a registry refresh far longer than the test, a
// rule added through the node's own Service (as its console does) applies
// to its very next request, and so does one added by another process (the
// CLI: here a second Service on the same SQLite file), through the registry
// stamp.
func TestRegistryRefresh(t *testing.T) {
	g := gatewaytest.New(t, gatewaytest.WithConfig(func(c *node.Config) { c.RegistryRefresh = time.Hour }))
	c := g.Client(t, func(c *antomgw.Config) { c.MaxRetries = -1 })
	ctx := context.Background()
	n := 0
	pay := func() error {
		n++
		id := "REFRESH_" + time.Now().Format("150405.000000") + "_" + string(rune('A'+n))
		_, err := c.Pay(ctx, &antomgw.PayRequest{
			ProductCode: antomgw.ProductInStore, PaymentRequestID: id,
			Order:         &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "coffee"},
			PaymentAmount: antomgw.Amount{Currency: "USD", Value: "100"},
			PaymentMethod: antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
			PaymentFactor: &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
		})
		return err
	}
	if err := pay(); err != nil {
		t.Fatalf("first pay: %v", err)
	}
	rule := func(code string) gateway.ScenarioRule {
		return gateway.ScenarioRule{ClientID: g.ClientID(), API: gateway.ScenarioPay, Count: 1,
			Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: code, ResultStatus: string(wire.StatusFail)}}
	}

	other := &gateway.Service{Store: g.Store(), Now: g.Now}
	if _, err := other.AddScenarioRule(ctx, rule("RISK_REJECT")); err != nil {
		t.Fatal(err)
	}
	if err := pay(); !antomgw.IsCode(err, "RISK_REJECT") {
		t.Fatalf("pay after another process added a rule: %v, want F RISK_REJECT", err)
	}
	if err := pay(); err != nil {
		t.Fatalf("pay after the rule was used up: %v, want S", err)
	}
	if _, err := g.Service().AddScenarioRule(ctx, rule("USER_AMOUNT_EXCEED_LIMIT")); err != nil {
		t.Fatal(err)
	}
	if err := pay(); !antomgw.IsCode(err, "USER_AMOUNT_EXCEED_LIMIT") {
		t.Fatalf("pay after the node's own rule: %v, want F USER_AMOUNT_EXCEED_LIMIT", err)
	}
}
