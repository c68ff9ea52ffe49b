package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Report is what a run measured. Its JSON field names are stable: antomgw
// bench --json writes it as it is, and scripts read it.
type Report struct {
	// Target, Scenario, Rate and Concurrency are the Config's.
	Target   string `json:"target,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	// Mode is "max" (a closed loop) or "rate" (an open loop at Rate).
	Mode        string `json:"mode,omitempty"`
	Rate        int    `json:"rate,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	// CryptoBackend is the generator's crypto implementation
	// (cryptobackend.Name): the one its crypto ceiling is measured with.
	// The server logs its own at start.
	CryptoBackend string `json:"cryptoBackend,omitempty"`
	// GOMAXPROCS and NumCPU are the generator's.
	GOMAXPROCS int `json:"gomaxprocs"`
	NumCPU     int `json:"numCPU"`
	// StartedAt is the start of the timed part, RFC 3339 in UTC.
	StartedAt string `json:"startedAt,omitempty"`
	// Presigned is the number of requests signed before the run (shared
	// inquiries counted once), PresignSeconds how long that took.
	Presigned      int     `json:"presigned,omitempty"`
	PresignSeconds float64 `json:"presignSeconds,omitempty"`
	// SetupPayments were created before the timed part (inquiry, mixed).
	SetupPayments int `json:"setupPayments,omitempty"`

	// Requests is the number of requests the timed part sent,
	// DurationSeconds the time from its start to the last answer, and
	// RequestsPerSecond their ratio.
	Requests          int64   `json:"requests"`
	DurationSeconds   float64 `json:"durationSeconds"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// LatencyMs are the latency percentiles of every request.
	LatencyMs Latency `json:"latencyMs"`
	// Results are the answers counted by API, status and code, the most
	// frequent first.
	Results []ResultCount `json:"results"`
	// Distinct is the number of distinct request bodies sent (for
	// duplicates: distinct paymentRequestIds).
	Distinct int64 `json:"distinct"`
	// Errors are the requests without a result.
	Errors ErrorCounts `json:"errors"`
	// Verified is the number of response signatures verified.
	Verified int64 `json:"signaturesVerified"`
	// GeneratorCPUMsPerRequest is the CPU time this process (the load
	// generator) used per request during the timed part (Linux only).
	GeneratorCPUMsPerRequest float64 `json:"generatorCpuMsPerRequest,omitempty"`
	// Late counts open-loop requests sent more than 1 ms after their
	// scheduled time.
	Late int64 `json:"late"`
	// Exhausted: a closed-loop run used up its pre-signed requests before
	// the end of Config.Duration.
	Exhausted bool `json:"exhausted,omitempty"`
	// Interrupted: the context ended (antomgw bench: SIGINT) before the end
	// of Config.Duration.
	Interrupted bool `json:"interrupted,omitempty"`

	// Ceiling is the crypto ceiling measured just before the timed part
	// (after the pre-signing), if any; CeilingAfter the one measured just
	// after it. The machine's speed drifts on a shared machine, so the run
	// is measured against their mean.
	Ceiling      *Ceiling `json:"cryptoCeiling,omitempty"`
	CeilingAfter *Ceiling `json:"cryptoCeilingAfter,omitempty"`
	// CeilingPairsPerSecond is the ceiling the run is a share of: the mean
	// of Ceiling's and CeilingAfter's rates, or Ceiling's alone when the
	// run ended without the second.
	CeilingPairsPerSecond float64 `json:"ceilingPairsPerSecond,omitempty"`
	// CeilingFraction is RequestsPerSecond / CeilingPairsPerSecond.
	CeilingFraction float64 `json:"ceilingFraction,omitempty"`
}

// setCeiling sets CeilingPairsPerSecond and CeilingFraction from the
// ceilings measured.
func (r *Report) setCeiling() {
	if r.Ceiling == nil || r.Ceiling.PairsPerSecond <= 0 {
		return
	}
	r.CeilingPairsPerSecond = r.Ceiling.PairsPerSecond
	if r.CeilingAfter != nil && r.CeilingAfter.PairsPerSecond > 0 {
		r.CeilingPairsPerSecond = (r.Ceiling.PairsPerSecond + r.CeilingAfter.PairsPerSecond) / 2
	}
	r.CeilingFraction = r.RequestsPerSecond / r.CeilingPairsPerSecond
}

// Latency is a run's latency percentiles (nearest rank), maximum and mean,
// in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// ResultCount is how many answers had one API, result status and code;
// Replay when the gateway marked them x-idempotent-replay.
type ResultCount struct {
	API    string `json:"api"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Replay bool   `json:"replay,omitempty"`
	Count  int64  `json:"count"`
}

// Counts sums the report's results by "api status code", with " replay"
// appended for idempotent replays: a summary for tests and scripts.
func (r *Report) Counts() map[string]int64 {
	m := map[string]int64{}
	for _, c := range r.Results {
		k := c.API + " " + c.Status + " " + c.Code
		if c.Replay {
			k += " replay"
		}
		m[k] += c.Count
	}
	return m
}

// ErrorCounts counts the requests without a result, by cause.
type ErrorCounts struct {
	// Total is the sum of the others.
	Total int64 `json:"total"`
	// Transport: no HTTP answer (connection refused or reset, timeout).
	Transport int64 `json:"transport"`
	// HTTPStatus: an answer other than 200.
	HTTPStatus int64 `json:"httpStatus"`
	// Signature: a sampled answer whose signature did not verify.
	Signature int64 `json:"signature"`
	// Body: a 200 answer without a readable result.
	Body int64 `json:"body"`
	// Samples are the first few distinct error messages.
	Samples []string `json:"samples,omitempty"`
}

// summarise fills in rep's figures from what the workers measured in
// elapsed.
func (b *runner) summarise(rep *Report, stats []*workerStats, elapsed time.Duration) {
	var lat []int64
	counts := map[resultKey]int64{}
	for _, s := range stats {
		lat = append(lat, s.lat...)
		for k, v := range s.counts {
			counts[k] += v
		}
	}
	rep.Requests = b.done.Load()
	rep.DurationSeconds = elapsed.Seconds()
	if elapsed > 0 {
		rep.RequestsPerSecond = float64(rep.Requests) / elapsed.Seconds()
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		var sum float64
		for _, v := range lat {
			sum += float64(v)
		}
		rep.LatencyMs = Latency{
			P50: ms(quantile(lat, 0.50)), P90: ms(quantile(lat, 0.90)),
			P99: ms(quantile(lat, 0.99)), Max: ms(lat[len(lat)-1]),
			Mean: sum / float64(len(lat)) / 1e6,
		}
	}
	rep.Results = []ResultCount{}
	for k, v := range counts {
		rep.Results = append(rep.Results, ResultCount{API: k.api, Status: k.status, Code: k.code, Replay: k.replay, Count: v})
	}
	slices.SortFunc(rep.Results, func(a, b ResultCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.API+a.Status+a.Code, b.API+b.Status+b.Code)
	})
	rep.Distinct = b.distinct.Load()
	rep.Errors = ErrorCounts{
		Transport: b.transport.Load(), HTTPStatus: b.httpStatus.Load(),
		Signature: b.sigErr.Load(), Body: b.badErr.Load(), Samples: b.samples,
	}
	rep.Errors.Total = rep.Errors.Transport + rep.Errors.HTTPStatus + rep.Errors.Signature + rep.Errors.Body
	rep.Verified = b.verified.Load()
	rep.Late = b.late.Load()
	rep.setCeiling()
}

// parseResult finds result.resultStatus and result.resultCode in an answer
// without decoding all of it (the generator shares the cores with the
// server); it falls back to encoding/json for an unusual layout.
func parseResult(body []byte) (status, code string, ok bool) {
	status, ok1 := stringField(body, `"resultStatus"`)
	code, ok2 := stringField(body, `"resultCode"`)
	if ok1 && ok2 {
		return status, code, true
	}
	var v struct {
		Result *wire.Result `json:"result"`
	}
	if json.Unmarshal(body, &v) != nil || v.Result == nil || v.Result.Code == "" {
		return "", "", false
	}
	return string(v.Result.Status), v.Result.Code, true
}

// stringField returns the value of the first "name":"value" in body when
// the value is a plain string without escapes.
func stringField(body []byte, name string) (string, bool) {
	i := bytes.Index(body, []byte(name))
	if i < 0 {
		return "", false
	}
	rest := bytes.TrimLeft(body[i+len(name):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	rest = rest[1:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// WriteJSON writes r to file as indented JSON, with a final newline.
func WriteJSON(file string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// ms converts nanoseconds to milliseconds.
func ms(ns int64) float64 { return float64(ns) / 1e6 }

func durString(ns int64) string {
	return fmt.Sprintf("%.2fms", ms(ns))
}

// WriteTable writes r as the table antomgw bench prints: one row a figure,
// the results one row each, and the notes that apply.
func (r *Report) WriteTable(w io.Writer) {
	mode := "--max"
	if r.Mode == "rate" {
		mode = fmt.Sprintf("--rate %d", r.Rate)
	}
	fmt.Fprintf(w, "scenario %s, %s, concurrency %d, target %s, GOMAXPROCS %d\n", r.Scenario, mode, r.Concurrency, r.Target, r.GOMAXPROCS)
	fmt.Fprintf(w, "%-16s %d in %.1fs, before the timed part\n", "pre-signed", r.Presigned, r.PresignSeconds)
	if r.SetupPayments > 0 {
		fmt.Fprintf(w, "%-16s %d payments created before the timed part\n", "setup", r.SetupPayments)
	}
	fmt.Fprintf(w, "%-16s %d\n", "requests", r.Requests)
	fmt.Fprintf(w, "%-16s %.2fs\n", "duration", r.DurationSeconds)
	fmt.Fprintf(w, "%-16s %.1f\n", "requests/s", r.RequestsPerSecond)
	fmt.Fprintf(w, "%-16s p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms  mean %.2fms\n", "latency",
		r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.Max, r.LatencyMs.Mean)
	fmt.Fprintf(w, "%-16s\n", "results")
	for _, c := range r.Results {
		code := c.Status + " " + c.Code
		if c.Replay {
			code += " (replay)"
		}
		fmt.Fprintf(w, "  %-15s %-40s %d\n", c.API, code, c.Count)
	}
	if r.Scenario == ScenarioDuplicates {
		fmt.Fprintf(w, "%-16s %d\n", "request ids", r.Distinct)
	}
	fmt.Fprintf(w, "%-16s %d (transport %d, HTTP status %d, signature %d of %d verified, body %d)\n", "errors",
		r.Errors.Total, r.Errors.Transport, r.Errors.HTTPStatus, r.Errors.Signature, r.Verified, r.Errors.Body)
	for _, s := range r.Errors.Samples {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if r.Mode == "rate" {
		fmt.Fprintf(w, "%-16s %d (sent more than 1ms after their scheduled time)\n", "late", r.Late)
	}
	if r.GeneratorCPUMsPerRequest > 0 {
		fmt.Fprintf(w, "%-16s %.3f ms CPU per request (this load generator)\n", "generator", r.GeneratorCPUMsPerRequest)
	}
	if r.Exhausted {
		fmt.Fprintf(w, "%-16s the pre-signed requests ran out before --duration; raise --requests\n", "note")
	}
	if r.Interrupted {
		fmt.Fprintf(w, "%-16s interrupted before --duration\n", "note")
	}
	if r.CryptoBackend != "" {
		fmt.Fprintf(w, "%-16s %s (this generator's; the server logs its own at start)\n", "crypto backend", r.CryptoBackend)
	}
	if r.Ceiling != nil {
		if a := r.CeilingAfter; a != nil {
			fmt.Fprintf(w, "%-16s %.1f sign+verify pairs/s: the mean of %.1f just before the timed part and %.1f just after (RSA-2048, %d goroutines, %.1fs each)%s%s\n", "crypto ceiling",
				r.CeilingPairsPerSecond, r.Ceiling.PairsPerSecond, a.PairsPerSecond, r.Ceiling.Goroutines, r.Ceiling.Seconds,
				labelled("before", r.Ceiling.FreeNote()), labelled("after", a.FreeNote()))
		} else {
			fmt.Fprintf(w, "%-16s %.1f sign+verify pairs/s (RSA-2048, %d goroutines, %.1fs)%s\n", "crypto ceiling",
				r.Ceiling.PairsPerSecond, r.Ceiling.Goroutines, r.Ceiling.Seconds, r.Ceiling.FreeNote())
		}
		fmt.Fprintf(w, "%-16s %s\n", "ceiling is", CeilingDefinition)
		fmt.Fprintf(w, "%-16s %.2f of the crypto ceiling\n", "ceiling share", r.CeilingFraction)
	}
}

// labelled prefixes a FreeNote with which measurement it is about, or
// returns "" for no note.
func labelled(which, note string) string {
	if note == "" {
		return ""
	}
	return "; " + which + ": " + strings.TrimPrefix(note, "; ")
}
