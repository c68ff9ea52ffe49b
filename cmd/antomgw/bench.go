package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/cryptobackend"
	"github.com/antomgw/antomgw/internal/loadgen"
	"github.com/antomgw/antomgw/wire"
)

const benchSynopsis = `antomgw bench --base-url URL --client-id ID --private-key FILE --gateway-public-key FILE
                     [--max | --rate N] [--duration D] [--concurrency C]
                     [--scenario pay|inquiry|mixed|duplicates] [--json FILE] [--limit]
       antomgw bench --limit [--json FILE]`

var benchDoc = helpText("bench")

// benchFlags are the flags of bench that are not loadgen.Config fields.
type benchFlags struct {
	privateKey    string
	gatewayKeys   gatewayKeysFlag
	max           bool
	jsonFile      string
	limit         bool
	limitDuration time.Duration
}

func runBench(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, benchSynopsis, benchDoc)
	var c benchFlags
	var cfg loadgen.Config
	f.strVar(&cfg.Target, "base-url", "URL", "", "where the gateway is, e.g. http://127.0.0.1:8080, or several nodes of one gateway separated by commas (required unless --limit alone)")
	f.StringVar(&cfg.Target, "target", "", "the former name of --base-url") // not listed
	f.strVar(&cfg.ClientID, "client-id", "ID", "", "registered client id the requests are signed for (required with --base-url)")
	f.strVar(&c.privateKey, "private-key", "FILE", "", "the client's RSA private key, PEM or bare base64 DER (required with --base-url)")
	c.gatewayKeys.define(f)
	f.Lookup("gateway-public-key").Usage += " (required with --base-url)"
	f.intVar(&cfg.KeyVersion, "key-version", "N", 1, "keyVersion of the client key written into the Signature header")
	f.boolVar(&c.max, "max", false, "closed loop at the highest rate the server answers (the default)")
	f.intVar(&cfg.Rate, "rate", "N", 0, "open loop at N requests per second")
	f.durVar(&cfg.Duration, "duration", "D", 10*time.Second, "length of the timed run")
	f.intVar(&cfg.Concurrency, "concurrency", "C", 16, "workers, each with at most one request in flight")
	f.strVar(&cfg.Scenario, "scenario", "NAME", loadgen.ScenarioPay, "pay, inquiry, mixed or duplicates")
	f.intVar(&cfg.Burst, "burst", "N", 10, "duplicates: requests per paymentRequestId")
	f.intVar(&cfg.Payments, "payments", "N", 100, "inquiry, mixed: payments created before the timed part")
	f.intVar(&cfg.Requests, "requests", "N", 0, "requests to pre-sign (0: from --rate×--duration or this machine's crypto rate, at most 200000)")
	f.intVar(&cfg.VerifyEvery, "verify-every", "N", 20, "verify the signature of one response in N (and always the first)")
	f.durVar(&cfg.Timeout, "timeout", "D", 30*time.Second, "timeout of one request")
	f.strVar(&c.jsonFile, "json", "FILE", "", "also write the figures as JSON to FILE")
	f.boolVar(&c.limit, "limit", false, "measure the crypto ceiling (sign+verify pairs per second on these cores); with a run, right before its timed part and right after it, and show the run as a share of their mean")
	f.durVar(&c.limitDuration, "limit-duration", "D", 3*time.Second, "how long each --limit measurement takes")
	if err := f.parse(args); err != nil {
		return err
	}
	if !c.limit || cfg.Target != "" {
		for _, name := range []string{"base-url", "client-id", "private-key", "gateway-public-key"} {
			if f.Lookup(name).Value.String() == "" {
				return f.usagef("missing required flag --%s", name)
			}
		}
	}
	switch {
	case c.max && cfg.Rate != 0:
		return f.usagef("--max and --rate exclude each other")
	case cfg.Rate < 0:
		return f.usagef("--rate must be positive, got %d", cfg.Rate)
	case cfg.Duration <= 0:
		return f.usagef("--duration must be positive, got %s", cfg.Duration)
	case cfg.Concurrency < 1:
		return f.usagef("--concurrency must be at least 1, got %d", cfg.Concurrency)
	case cfg.Burst < 1:
		return f.usagef("--burst must be at least 1, got %d", cfg.Burst)
	case cfg.Payments < 1:
		return f.usagef("--payments must be at least 1, got %d", cfg.Payments)
	case cfg.Requests < 0:
		return f.usagef("--requests must not be negative, got %d", cfg.Requests)
	case cfg.VerifyEvery < 1:
		return f.usagef("--verify-every must be at least 1, got %d", cfg.VerifyEvery)
	case c.limitDuration <= 0:
		return f.usagef("--limit-duration must be positive, got %s", c.limitDuration)
	case cfg.KeyVersion < 1:
		return f.usagef("--key-version must be a positive integer, got %d", cfg.KeyVersion)
	}
	switch cfg.Scenario {
	case loadgen.ScenarioPay, loadgen.ScenarioInquiry, loadgen.ScenarioMixed, loadgen.ScenarioDuplicates:
	default:
		return f.usagef("--scenario %q: want pay, inquiry, mixed or duplicates", cfg.Scenario)
	}
	cfg.Target = strings.TrimRight(cfg.Target, "/")

	if cfg.Target == "" { // --limit alone
		fmt.Fprintf(e.stderr, "measuring the crypto ceiling for %s…\n", c.limitDuration)
		ceil, err := loadgen.MeasureCeiling(ctx, c.limitDuration)
		if err != nil {
			return err
		}
		rep := &loadgen.Report{Ceiling: &ceil, CryptoBackend: cryptobackend.Name(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), Results: []loadgen.ResultCount{}}
		fmt.Fprintf(e.stdout, "crypto ceiling  %.1f sign+verify pairs/s (RSA-2048, %d goroutines, %.1fs; sign %.0f µs, verify %.0f µs per core)%s\n",
			ceil.PairsPerSecond, ceil.Goroutines, ceil.Seconds, ceil.SignMicros, ceil.VerifyMicros, ceil.FreeNote())
		fmt.Fprintf(e.stdout, "crypto backend  %s\nceiling is      %s\n", rep.CryptoBackend, loadgen.CeilingDefinition)
		return benchWriteJSON(c.jsonFile, rep)
	}

	key, err := loadPrivateKey(c.privateKey)
	if err != nil {
		return err
	}
	gw, err := c.gatewayKeys.load()
	if err != nil {
		return err
	}
	cfg.PrivateKey = key
	cfg.VerifyAnswer = func(m wire.Message, sh wire.SignatureHeader) error { return antomgw.VerifyGatewaySignature(gw, m, sh) }
	cfg.Log = e.stderr
	if c.limit {
		cfg.CeilingDuration = c.limitDuration
	}
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.CryptoBackend = cryptobackend.Name()
	rep.WriteTable(e.stdout)
	return benchWriteJSON(c.jsonFile, rep)
}

// benchWriteJSON writes rep to the --json file, if one was given.
func benchWriteJSON(file string, rep *loadgen.Report) error {
	if file == "" {
		return nil
	}
	if err := loadgen.WriteJSON(file, rep); err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	return nil
}
