package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/cryptobackend"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/loadgen"
	"github.com/antomgw/antomgw/wire"
)

// bench runs antomgw bench against the target with extra flags and returns
// the table (stdout) and the --json report.
func (g *cliGateway) bench(t *testing.T, extra ...string) (string, loadgen.Report) {
	t.Helper()
	jsonFile := filepath.Join(t.TempDir(), "bench.json")
	args := append([]string{"bench", "--base-url", g.URL(), "--client-id", g.ClientID(),
		"--private-key", g.privFile, "--gateway-public-key", g.gwFile, "--json", jsonFile}, extra...)
	r := runCLI(t, "", args...)
	if r.code != 0 {
		t.Fatalf("antomgw %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadgen.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, data)
	}
	t.Logf("table:\n%s", r.stdout)
	return r.stdout, rep
}

// benchTableValue returns the number after a row name of the table.
func benchTableValue(t *testing.T, table, row string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(row) + ` +([0-9.]+)`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("table has no %q row:\n%s", row, table)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkBenchReport checks what every run must show: requests answered, the
// table and the JSON agreeing, no errors, signatures verified.
func checkBenchReport(t *testing.T, table string, rep loadgen.Report) {
	t.Helper()
	if rep.Requests <= 0 {
		t.Fatalf("requests = %d, want > 0", rep.Requests)
	}
	if got := benchTableValue(t, table, "requests"); int64(got) != rep.Requests {
		t.Errorf("table requests = %v, JSON %d", got, rep.Requests)
	}
	if got := benchTableValue(t, table, "errors"); got != 0 || rep.Errors.Total != 0 {
		t.Errorf("errors: table %v, JSON %+v; want 0", got, rep.Errors)
	}
	if rep.Errors.Signature != 0 {
		t.Errorf("signature errors = %d, want 0", rep.Errors.Signature)
	}
	if rep.Verified < 1 {
		t.Errorf("signatures verified = %d, want at least the first", rep.Verified)
	}
	benchTableValue(t, table, "requests/s")
	benchTableValue(t, table, "duration")
	for _, p := range []string{"p50 ", "p90 ", "p99 ", "max "} {
		if !strings.Contains(table, p) {
			t.Errorf("table has no %q latency", p)
		}
	}
	if rep.RequestsPerSecond <= 0 || rep.DurationSeconds <= 0 || rep.LatencyMs.P99 <= 0 || rep.LatencyMs.Max < rep.LatencyMs.P99 {
		t.Errorf("figures: %+v", rep)
	}
	var sum int64
	for _, c := range rep.Results {
		sum += c.Count
	}
	if sum != rep.Requests {
		t.Errorf("result codes add up to %d, want %d requests: %+v", sum, rep.Requests, rep.Results)
	}
}

func TestBenchPay(t *testing.T) {
	g := newCLIGateway(t)
	table, rep := g.bench(t, "--max", "--duration", "1s", "--concurrency", "4", "--requests", "300",
		"--limit", "--limit-duration", "200ms")
	checkBenchReport(t, table, rep)
	if got := rep.Counts(); got["pay S SUCCESS"] != rep.Requests || len(got) != 1 {
		t.Errorf("results %v, want only pay S SUCCESS ×%d", got, rep.Requests)
	}
	if rep.Distinct != rep.Requests {
		t.Errorf("distinct = %d, want every pay new (%d)", rep.Distinct, rep.Requests)
	}
	if rep.Ceiling == nil || rep.Ceiling.PairsPerSecond <= 0 || rep.CeilingAfter == nil || rep.CeilingAfter.PairsPerSecond <= 0 {
		t.Fatalf("crypto ceilings before %+v, after %+v: want both measured", rep.Ceiling, rep.CeilingAfter)
	}
	// The run is a share of the mean of the two.
	mean := (rep.Ceiling.PairsPerSecond + rep.CeilingAfter.PairsPerSecond) / 2
	if math.Abs(rep.CeilingPairsPerSecond-mean) > 1e-9*mean || math.Abs(rep.CeilingFraction-rep.RequestsPerSecond/mean) > 1e-9 {
		t.Errorf("ceiling %v and share %v; want the mean of %v and %v, %v, and %v req/s over it",
			rep.CeilingPairsPerSecond, rep.CeilingFraction, rep.Ceiling.PairsPerSecond, rep.CeilingAfter.PairsPerSecond, mean, rep.RequestsPerSecond)
	}
	if !strings.Contains(table, "just before the timed part") || !strings.Contains(table, "just after") {
		t.Errorf("table does not show both ceilings:\n%s", table)
	}
	if !strings.Contains(table, "of the crypto ceiling") {
		t.Errorf("table does not show the ceiling share:\n%s", table)
	}
	if rep.CryptoBackend != cryptobackend.Name() || !strings.Contains(table, "crypto backend   "+cryptobackend.Name()) || !strings.Contains(table, "ceiling is       RSA-2048") {
		t.Errorf("report's crypto backend %q; the table must name it and define the ceiling:\n%s", rep.CryptoBackend, table)
	}
	// A second run against the same store: the run id keeps the
	// paymentRequestIds apart, so these are new payments again.
	_, rep2 := g.bench(t, "--duration", "300ms", "--concurrency", "2", "--requests", "50")
	if got := rep2.Counts(); got["pay S SUCCESS"] != rep2.Requests {
		t.Errorf("second run results %v, want only new successes", got)
	}
}

func TestBenchInquiry(t *testing.T) {
	g := newCLIGateway(t)
	table, rep := g.bench(t, "--scenario", "inquiry", "--duration", "1s", "--concurrency", "4", "--payments", "10")
	checkBenchReport(t, table, rep)
	if got := rep.Counts(); got["inquiryPayment S SUCCESS"] != rep.Requests {
		t.Errorf("results %v, want only inquiryPayment S SUCCESS", got)
	}
	if rep.SetupPayments != 10 || rep.Distinct > 10 {
		t.Errorf("setup payments %d, distinct %d; want 10 and at most 10", rep.SetupPayments, rep.Distinct)
	}
}

func TestBenchMixed(t *testing.T) {
	g := newCLIGateway(t)
	table, rep := g.bench(t, "--scenario", "mixed", "--duration", "1s", "--concurrency", "4", "--payments", "10", "--requests", "300")
	checkBenchReport(t, table, rep)
	got := rep.Counts()
	if got["pay S SUCCESS"]+got["inquiryPayment S SUCCESS"]+got["refund S SUCCESS"] != rep.Requests {
		t.Errorf("results %v, want every pay, inquiry and refund S SUCCESS", got)
	}
	if rep.Requests >= 10 && (got["pay S SUCCESS"] == 0 || got["inquiryPayment S SUCCESS"] == 0 || got["refund S SUCCESS"] == 0) {
		t.Errorf("results %v, want all three APIs in %d requests", got, rep.Requests)
	}
}

func TestBenchDuplicates(t *testing.T) {
	g := newCLIGateway(t)
	table, rep := g.bench(t, "--scenario", "duplicates", "--burst", "5", "--duration", "1s", "--concurrency", "4", "--requests", "300")
	checkBenchReport(t, table, rep)
	got := rep.Counts()
	// Exactly one new payment per paymentRequestId; every other request is
	// a replay of the success or, while the first is in flight, U
	// PAYMENT_IN_PROCESS.
	if got["pay S SUCCESS"] != rep.Distinct {
		t.Errorf("new successes = %d, want one per request id (%d); results %v", got["pay S SUCCESS"], rep.Distinct, got)
	}
	if got["pay S SUCCESS replay"]+got["pay U PAYMENT_IN_PROCESS"] != rep.Requests-rep.Distinct {
		t.Errorf("results %v: replays and in-process answers should be the %d duplicates", got, rep.Requests-rep.Distinct)
	}
	if rep.Requests > 5 && got["pay S SUCCESS replay"] == 0 {
		t.Errorf("no replays in %d requests: %v", rep.Requests, got)
	}
	if want := (rep.Requests + 4) / 5; rep.Distinct != want {
		t.Errorf("request ids = %d, want %d for %d requests in bursts of 5", rep.Distinct, want, rep.Requests)
	}
	if v := benchTableValue(t, table, "request ids"); int64(v) != rep.Distinct {
		t.Errorf("table request ids = %v, want %d", v, rep.Distinct)
	}
}

func TestBenchRate(t *testing.T) {
	g := newCLIGateway(t)
	table, rep := g.bench(t, "--rate", "40", "--duration", "1s", "--concurrency", "4")
	checkBenchReport(t, table, rep)
	if rep.Mode != "rate" || rep.Rate != 40 {
		t.Errorf("mode %q rate %d, want rate 40", rep.Mode, rep.Rate)
	}
	// The schedule has 40 slots in one second; none is sent twice.
	if rep.Requests > 40 {
		t.Errorf("requests = %d, want at most the 40 scheduled", rep.Requests)
	}
	benchTableValue(t, table, "late")
}

func TestBenchSignatureErrors(t *testing.T) {
	g := newCLIGateway(t)
	// A gateway key that is not the gateway's: every verified answer fails.
	wrong, err := wire.MarshalPublicKeyPEM(&gatewaytest.MerchantKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.gwFile, wrong, 0o644); err != nil {
		t.Fatal(err)
	}
	table, rep := g.bench(t, "--duration", "300ms", "--concurrency", "2", "--requests", "40", "--verify-every", "1")
	if rep.Errors.Signature == 0 || rep.Errors.Signature != rep.Verified || rep.Errors.Total != rep.Errors.Signature {
		t.Errorf("errors %+v, verified %d: want every verified answer a signature error", rep.Errors, rep.Verified)
	}
	if !strings.Contains(table, "does not verify") {
		t.Errorf("table does not say why:\n%s", table)
	}
}

func TestBenchLimitAlone(t *testing.T) {
	jsonFile := filepath.Join(t.TempDir(), "limit.json")
	r := runCLI(t, "", "bench", "--limit", "--limit-duration", "200ms", "--json", jsonFile)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`^crypto ceiling +[0-9.]+ sign\+verify pairs/s`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "crypto backend  "+cryptobackend.Name()) || !strings.Contains(r.stdout, "ceiling is      RSA-2048") {
		t.Errorf("stdout = %q", r.stdout)
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadgen.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Ceiling == nil || rep.Ceiling.PairsPerSecond <= 0 || rep.Ceiling.Goroutines < 1 || rep.Ceiling.SignMicros <= 0 {
		t.Fatalf("ceiling %+v", rep.Ceiling)
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil && (rep.Ceiling.CPUSeconds <= 0 || rep.Ceiling.FreePairsPerSecond <= 0) {
		t.Errorf("ceiling %+v: want the CPU time and the free-core figure where /proc/self/stat exists", rep.Ceiling)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "missing required flag --base-url"},
		{[]string{"bench", "--base-url", "http://x"}, "missing required flag --client-id"},
		{[]string{"bench", "--target", "http://x"}, "missing required flag --client-id"}, // the former name still works
		{[]string{"bench", "--limit", "--base-url", "http://x", "--client-id", "C", "--private-key", "k"}, "missing required flag --gateway-public-key"},
		{[]string{"bench", "--max", "--rate", "5", "--base-url", "http://x", "--client-id", "C", "--private-key", "k", "--gateway-public-key", "g"}, "exclude each other"},
		{[]string{"bench", "--scenario", "nope", "--base-url", "http://x", "--client-id", "C", "--private-key", "k", "--gateway-public-key", "g"}, `--scenario "nope"`},
		{[]string{"bench", "--concurrency", "0", "--base-url", "http://x", "--client-id", "C", "--private-key", "k", "--gateway-public-key", "g"}, "--concurrency must be at least 1"},
	} {
		r := runCLI(t, "", c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("antomgw %q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
