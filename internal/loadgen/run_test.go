package loadgen

import (
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

func TestParseResult(t *testing.T) {
	for _, c := range []struct{ body, status, code string }{
		{`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentId":"1"}`, "S", "SUCCESS"},
		{`{"result": {"resultStatus" : "U", "resultCode" : "PAYMENT_IN_PROCESS"}}`, "U", "PAYMENT_IN_PROCESS"},
		{`{"result":{"resultCode":"A\u0042","resultStatus":"F"}}`, "F", "AB"},
	} {
		status, code, ok := parseResult([]byte(c.body))
		if !ok || status != c.status || code != c.code {
			t.Errorf("parseResult(%s) = %q %q %v, want %q %q", c.body, status, code, ok, c.status, c.code)
		}
	}
	for _, body := range []string{`not json`, `{"result":{"resultStatus":"S"}}`, `{}`} {
		if _, _, ok := parseResult([]byte(body)); ok {
			t.Errorf("parseResult accepted %s, which has no result", body)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// The command name may hold spaces and parentheses; utime and stime
	// are the 14th and 15th fields, in 1/100 s.
	stat := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 8 0 1000 0 0\n"
	if d, ok := parseProcStat([]byte(stat)); !ok || d != 1750*time.Millisecond {
		t.Errorf("parseProcStat = %v %v, want 1.75s", d, ok)
	}
	for _, bad := range []string{"", "4242 cmd S 1", "4242 (cmd) S 1 2 3", "4242 (cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 25 0"} {
		if _, ok := parseProcStat([]byte(bad)); ok {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
}

func acceptAll(wire.Message, wire.SignatureHeader) error { return nil }

func TestConfigCheck(t *testing.T) {
	good := Config{
		Target: "http://x", ClientID: "C", PrivateKey: testKey(), KeyVersion: 1, VerifyAnswer: acceptAll,
		Scenario: ScenarioPay, Duration: time.Second, Concurrency: 1, VerifyEvery: 1,
	}
	if err := good.check(); err != nil {
		t.Fatalf("a good Config: %v", err)
	}
	for name, c := range map[string]func(*Config){
		"no target":                func(c *Config) { c.Target = "" },
		"no key":                   func(c *Config) { c.PrivateKey = nil },
		"no verifier":              func(c *Config) { c.VerifyAnswer = nil },
		"key version 0":            func(c *Config) { c.KeyVersion = 0 },
		"negative rate":            func(c *Config) { c.Rate = -1 },
		"no duration":              func(c *Config) { c.Duration = 0 },
		"no workers":               func(c *Config) { c.Concurrency = 0 },
		"verify-every 0":           func(c *Config) { c.VerifyEvery = 0 },
		"unknown scenario":         func(c *Config) { c.Scenario = "nope" },
		"duplicates without burst": func(c *Config) { c.Scenario = ScenarioDuplicates },
		"inquiry without payments": func(c *Config) { c.Scenario = ScenarioInquiry },
		"mixed without payments":   func(c *Config) { c.Scenario = ScenarioMixed },
	} {
		c2 := good
		c(&c2)
		if err := c2.check(); err == nil || !strings.HasPrefix(err.Error(), "loadgen: ") {
			t.Errorf("%s: check = %v, want a loadgen error", name, err)
		}
	}
}
