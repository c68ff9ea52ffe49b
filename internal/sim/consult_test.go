package sim_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sim"
)

var updateDoc = flag.Bool("update-consult-doc", false, "rewrite the consult table in docs/simulator.md from sim.Options")

func TestOptionsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range sim.Options {
		if seen[o.MethodType] {
			t.Errorf("%s is in the table twice", o.MethodType)
		}
		seen[o.MethodType] = true
		if o.Category == "" || len(o.Regions) == 0 || len(o.Currencies) == 0 || o.Limit <= 0 || len(o.Terminals) == 0 || o.Logo == "" {
			t.Errorf("%s: %+v; every column must be set", o.MethodType, o)
		}
		for _, term := range o.Terminals {
			if !slices.Contains(gateway.TerminalTypes, term) {
				t.Errorf("%s: terminal %q is not one consult accepts", o.MethodType, term)
			}
		}
		if (o.Category == "CARD") != (len(o.CardBrands) > 0) {
			t.Errorf("%s: category %s with card brands %v; card brands belong to CARD", o.MethodType, o.Category, o.CardBrands)
		}
	}
}

func TestPaymentOptions(t *testing.T) {
	w := &sim.Wallet{}
	ctx := context.Background()
	usd := func(v int64) gateway.Money { return gateway.Money{Value: v, Currency: "USD"} }
	for _, c := range []struct {
		name string
		in   gateway.ConsultInput
		// want lists the options as TYPE, TYPE+ (preferred) or
		// TYPE!REASON (disabled).
		want string
	}{
		{"Web", gateway.ConsultInput{Amount: usd(1000), TerminalType: "WEB"},
			"ALIPAY_CN ALIPAY_HK GCASH KAKAOPAY CONNECT_WALLET CARD DANA!CHANNEL_NOT_SUPPORT_CURRENCY TNG!CHANNEL_NOT_SUPPORT_CURRENCY"},
		{"PreferredFirst", gateway.ConsultInput{Amount: usd(1000), TerminalType: "WAP", UserRegion: "KR"},
			"KAKAOPAY+ CONNECT_WALLET+ ALIPAY_CN ALIPAY_HK GCASH CARD DANA!CHANNEL_NOT_SUPPORT_CURRENCY TRUEMONEY!CHANNEL_NOT_SUPPORT_CURRENCY TNG!CHANNEL_NOT_SUPPORT_CURRENCY"},
		{"DisabledPreferredLast", gateway.ConsultInput{Amount: usd(1000), TerminalType: "WEB", UserRegion: "ID"},
			"CONNECT_WALLET+ ALIPAY_CN ALIPAY_HK GCASH KAKAOPAY CARD DANA+!CHANNEL_NOT_SUPPORT_CURRENCY TNG!CHANNEL_NOT_SUPPORT_CURRENCY"},
		{"Limits", gateway.ConsultInput{Amount: usd(5_000_001), TerminalType: "APP", Methods: []string{"ALIPAY_CN", "GCASH", "CARD", "ALIPAY_HK"}},
			"GCASH CARD ALIPAY_CN!EXCEED_CHANNEL_LIMIT_RULE ALIPAY_HK!EXCEED_CHANNEL_LIMIT_RULE"},
		{"AtTheLimit", gateway.ConsultInput{Amount: usd(5_000_000), TerminalType: "APP", Methods: []string{"ALIPAY_CN"}}, "ALIPAY_CN"},
		{"MiniApp", gateway.ConsultInput{Amount: gateway.Money{Value: 100, Currency: "HKD"}, TerminalType: "MINI_APP"}, "ALIPAY_CN ALIPAY_HK"},
		{"Regions", gateway.ConsultInput{Amount: usd(100), TerminalType: "WEB", Regions: []string{"GLOBAL", "HK"}}, "ALIPAY_HK CONNECT_WALLET CARD"},
		{"Blocked", gateway.ConsultInput{Amount: usd(100), TerminalType: "WEB", Regions: []string{"HK"}, Blocked: []string{"CONNECT_WALLET"}}, "ALIPAY_HK"},
		{"None", gateway.ConsultInput{Amount: usd(100), TerminalType: "WEB", Methods: []string{"TRUEMONEY"}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts, err := w.PaymentOptions(ctx, c.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range opts {
				s := o.MethodType
				if o.Preferred {
					s += "+"
				}
				if !o.Enabled {
					s += "!" + o.DisableReason
				}
				if o.Enabled != (o.DisableReason == "") {
					t.Errorf("%s: enabled %v with disableReason %q", o.MethodType, o.Enabled, o.DisableReason)
				}
				got = append(got, s)
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("options =\n %s\nwant\n %s", g, c.want)
			}
		})
	}
	opts, _ := w.PaymentOptions(ctx, gateway.ConsultInput{Amount: usd(100), TerminalType: "WEB", Methods: []string{"CARD"}})
	if len(opts) != 1 || len(opts[0].CardBrands) != 4 || opts[0].CardBrands[0] != (gateway.CardBrand{Brand: "VISA", Logo: "VISA"}) || opts[0].Logo != "CARD" {
		t.Errorf("CARD = %+v, want its logo and 4 brands, VISA first", opts)
	}
	// The table is not changed by what a caller does with an answer.
	opts[0].Regions[0] = "XX"
	if sim.Options[len(sim.Options)-1].Regions[0] != "GLOBAL" {
		t.Error("an answer shares its slices with sim.Options")
	}
}

// consultTable renders sim.Options as the Markdown table of
// docs/simulator.md.
func consultTable() string {
	var b strings.Builder
	b.WriteString("| paymentMethodType | category | regions (preferred for) | supportedCurrencies | limit (minor units) | terminals | card brands |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, o := range sim.Options {
		brands := strings.Join(o.CardBrands, ", ")
		if brands == "" {
			brands = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", o.MethodType, o.Category, strings.Join(o.Regions, ", "),
			strings.Join(o.Currencies, ", "), groupDigits(o.Limit), strings.Join(o.Terminals, ", "), brands)
	}
	return b.String()
}

// groupDigits writes n with thin spaces between groups of three digits:
// 5 000 000.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), " ")
}

const (
	tableStart = "<!-- consult-table: generated from sim.Options; go test ./internal/sim -update-consult-doc -->\n"
	tableEnd   = "<!-- /consult-table -->"
)

// TestConsultDoc keeps docs/simulator.md's consult table equal to
// sim.Options.
func TestConsultDoc(t *testing.T) {
	const path = "../../docs/simulator.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, tableStart), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q block", path, strings.TrimSpace(tableStart), tableEnd)
	}
	want := consultTable()
	if got := doc[i+len(tableStart) : j]; got != want {
		if *updateDoc {
			if err := os.WriteFile(path, []byte(doc[:i+len(tableStart)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's consult table differs from sim.Options; run go test ./internal/sim -update-consult-doc. Want:\n%s", path, want)
	}
}
