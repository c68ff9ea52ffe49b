// Package loadgen is the load generator that antomgw bench runs: it loads a
// running gateway with signed Antom v1 payment calls (pay, inquiryPayment,
// refund) and measures the throughput, the latency and the result codes it
// answers. It also measures this machine's crypto ceiling, the rate of
// RSA-2048 sign+verify pairs its cores sustain, which bounds what a gateway
// on them can answer. It imports only the standard library and package wire.
//
// # Contract
//
// [Run] does one run, in this order, and returns its [Report]:
//
//  1. A short probe of the crypto ceiling, which sizes a closed-loop run's
//     plan.
//  2. The payments the inquiry and mixed scenarios work on (Config.Payments),
//     created untimed. Every one of these answers is verified; any failure
//     ends the run with an error, so a wrong gateway key shows before the
//     timed part.
//  3. The plan: every request of the run, signed before the timed part on
//     every core, so the generator's own RSA signatures take no CPU from the
//     server while it is measured. The signed Request-Time is therefore the
//     time of pre-signing. Request ids start with a fresh run id, so two runs
//     against one store never collide.
//  4. The crypto ceiling, when Config.CeilingDuration is positive, measured
//     while the server is idle: right before the timed part, and again right
//     after it (step 5), so that the run is a share of the mean of the two
//     (Report.CeilingPairsPerSecond). On a shared machine the cores' speed
//     drifts within the minute the pre-signing and the run take.
//  5. The timed part, for Config.Duration or until the context ends or the
//     plan runs out. Closed loop (Rate 0): Config.Concurrency workers each
//     send the next request when the previous answer arrives; latency is
//     from the send to the end of the answer. Open loop (Rate > 0): request
//     i is due at start + i/Rate; latency is from the scheduled time, so a
//     stalled server shows in the percentiles (no coordinated omission).
//
// During the timed part one answer in Config.VerifyEvery, and always the
// first, has its signature checked by Config.VerifyAnswer; a failure, like a
// transport error, a status other than 200 or a body without a result, is
// counted in the report and the run goes on. A progress line goes to
// Config.Log every second.
//
// The JSON names of a [Report]'s fields are stable: scripts read them. The
// messages name the antomgw bench flags that change what they describe
// (--requests, --duration).
package loadgen
