package loadgen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/antomgw/antomgw/internal/loadgen"
)

// TestReportGolden pins the table text and the JSON (field names, order,
// omitted fields) of a report with every row and note, of a minimal
// closed-loop one and of an empty one: users and scripts/bench-server.sh
// read them.
//
// go test ./internal/loadgen -run TestReportGolden -update-golden rewrites
// the file after a deliberate change.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/report.golden")

func TestReportGolden(t *testing.T) {
	full := &loadgen.Report{Target: "http://127.0.0.1:8080", Scenario: "duplicates", Mode: "rate", Rate: 500, Concurrency: 16,
		GOMAXPROCS: 8, NumCPU: 8, StartedAt: "2025-01-02T03:04:05Z", Presigned: 1234, PresignSeconds: 1.25, SetupPayments: 100,
		Requests: 4321, DurationSeconds: 10.004, RequestsPerSecond: 431.93, LatencyMs: loadgen.Latency{P50: 1.234, P90: 2.5, P99: 9.87, Max: 20.1, Mean: 1.9},
		Results: []loadgen.ResultCount{
			{API: "pay", Status: "S", Code: "SUCCESS", Count: 400},
			{API: "pay", Status: "S", Code: "SUCCESS", Replay: true, Count: 3000},
			{API: "pay", Status: "U", Code: "PAYMENT_IN_PROCESS", Count: 921},
		},
		Distinct: 433, Errors: loadgen.ErrorCounts{Total: 6, Transport: 1, HTTPStatus: 2, Signature: 3, Body: 0, Samples: []string{"transport: x", "HTTP status 500 on pay: y"}},
		Verified: 220, GeneratorCPUMsPerRequest: 0.123, Late: 7, Exhausted: true, Interrupted: true, CryptoBackend: "Go (pure Go crypto)",
		Ceiling:               &loadgen.Ceiling{PairsPerSecond: 1000.5, Goroutines: 8, Seconds: 3.01, SignMicros: 1500, VerifyMicros: 50, CPUSeconds: 20, FreePairsPerSecond: 1200.3},
		CeilingAfter:          &loadgen.Ceiling{PairsPerSecond: 1100.5, Goroutines: 8, Seconds: 3.01, SignMicros: 1400, VerifyMicros: 48, CPUSeconds: 24, FreePairsPerSecond: 1120},
		CeilingPairsPerSecond: 1050.5, CeilingFraction: 0.41}
	minimal := &loadgen.Report{Target: "http://x", Scenario: "pay", Mode: "max", Concurrency: 4, GOMAXPROCS: 2, NumCPU: 2, Results: []loadgen.ResultCount{},
		Ceiling: &loadgen.Ceiling{PairsPerSecond: 1000, Goroutines: 2, Seconds: 3, FreePairsPerSecond: 1040}, CeilingPairsPerSecond: 1000}
	var out bytes.Buffer
	for _, r := range []*loadgen.Report{full, minimal, {Results: []loadgen.ResultCount{}}} {
		r.WriteTable(&out)
		out.WriteString("----\n")
		file := filepath.Join(t.TempDir(), "report.json")
		if err := loadgen.WriteJSON(file, r); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(data)
		out.WriteString("====\n")
	}
	// The free-core note shows only when other processes took more than 5%.
	out.WriteString(full.Ceiling.FreeNote() + "|" + minimal.Ceiling.FreeNote() + "\n")

	golden := filepath.Join("testdata", "report.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("table and JSON differ from testdata/report.golden\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteJSONError(t *testing.T) {
	err := loadgen.WriteJSON(filepath.Join(t.TempDir(), "no", "such", "dir.json"), &loadgen.Report{})
	if !os.IsNotExist(err) {
		t.Errorf("WriteJSON into a missing directory = %v, want a not-exist error", err)
	}
}
