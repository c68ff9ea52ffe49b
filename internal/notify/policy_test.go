package notify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// TestAddressPolicyAfterDNS: the address policy is applied to the address
// dialled, after DNS: a notify URL whose name resolves to an internal
// address is refused like the address itself, before any connection; a
// name with both kinds of address is sent to its public one only;
// AllowPrivate opens private networks and loopback but not link-local or
// cloud metadata, which only AllowCIDRs opens; a redirect is not followed,
// so its target is never dialled. No traffic leaves the machine: the
// resolver and the dialer are fakes, and every dial reaches a loopback
// server.
func TestAddressPolicyAfterDNS(t *testing.T) {
	private := []string{"10.0.0.1", "127.0.0.1", "::1", "100.64.0.1", "fec0::1", "fd12::1", "192.168.1.1", "2002:c0a8:101::1"}
	alwaysRefused := []string{"100.100.100.200", "169.254.169.254", "fd00:ec2::254", "fe80::1", "198.18.0.1",
		"192.0.0.1", "240.0.0.1", "255.255.255.255", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::a9fe:a9fe",
		"224.0.0.1", "0.0.0.0", "::"}
	cases := []struct {
		name    string
		worker  func() *notify.Worker
		allowed []string // of private and alwaysRefused
	}{
		{name: "strict", worker: func() *notify.Worker { return &notify.Worker{} }},
		{name: "AllowPrivate", worker: func() *notify.Worker { return &notify.Worker{AllowPrivate: true} }, allowed: private},
		{name: "AllowCIDRs", worker: func() *notify.Worker {
			return &notify.Worker{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32"), netip.MustParsePrefix("10.0.0.0/8")}}
		}, allowed: []string{"10.0.0.1", "169.254.169.254"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if r.URL.Path == "/redirect" {
					http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
					return
				}
				ack(w)
			}))
			defer srv.Close()
			fn := &fakeNet{to: srv.Listener.Addr().String(), hosts: map[string][]netip.Addr{
				"public.test": addrs("8.8.4.4"),
				"mixed.test":  addrs("169.254.169.254", "10.0.0.1", "8.8.8.8"),
			}}
			want := map[string]gateway.AttemptOutcome{} // id → outcome
			wantDials := []string{"8.8.4.4:80", "8.8.8.8:80"}
			target := map[string]string{}
			for i, a := range slices.Concat(private, alwaysRefused) {
				// By name, resolving to the address, and by the address
				// itself in the URL.
				name := fmt.Sprintf("h%d.test", i)
				fn.hosts[name] = addrs(a)
				lit := a
				if strings.Contains(a, ":") {
					lit = "[" + a + "]"
				}
				outcome := gateway.OutcomeRefused
				if slices.Contains(c.allowed, a) {
					outcome = gateway.OutcomeDelivered
					wantDials = append(wantDials, netip.AddrPortFrom(netip.MustParseAddr(a), 80).String())
				}
				for id, url := range map[string]string{fmt.Sprintf("N%d", i): "http://" + name + "/n", fmt.Sprintf("L%d", i): "http://" + lit + "/n"} {
					f.enqueue(t, id, url, `{}`)
					want[id], target[id] = outcome, a
				}
			}
			f.enqueue(t, "public", "http://public.test/n", `{}`)
			f.enqueue(t, "mixed", "http://mixed.test/n", `{}`)
			f.enqueue(t, "redirect", "http://public.test/redirect", `{}`)
			f.enqueue(t, "mapped", "http://[::ffff:169.254.169.254]/n", `{}`)
			want["public"], want["mixed"], want["redirect"] = gateway.OutcomeDelivered, gateway.OutcomeDelivered, gateway.OutcomeRedirect
			want["mapped"], target["mapped"] = gateway.OutcomeRefused, "169.254.169.254"
			if slices.Contains(c.allowed, "169.254.169.254") {
				want["mapped"] = gateway.OutcomeDelivered
			}
			if slices.Contains(c.allowed, "10.0.0.1") {
				// One of mixed.test's addresses before 8.8.8.8 is allowed:
				// it is the one dialled.
				wantDials = slices.DeleteFunc(wantDials, func(s string) bool { return s == "8.8.8.8:80" })
			}

			w := c.worker()
			w.Schedule, w.Resolver, w.Dial = gateway.RetrySchedule{0}, fn, fn.Dial
			f.deliverDue(t, f.worker(w), len(want))

			for id, outcome := range want {
				a := f.attempts(t, id)
				if len(a) != 1 || a[0].Outcome != outcome {
					t.Errorf("%s (%s): attempts %+v, want one %s", id, target[id], a, outcome)
					continue
				}
				if outcome == gateway.OutcomeRefused {
					addr := netip.MustParseAddr(target[id]).Unmap().String()
					if !strings.Contains(a[0].Error, "address "+addr+" ") || !strings.Contains(a[0].Error, "--notify-allow-") {
						t.Errorf("%s: error %q, want it to name the address %s and the flag that allows it", id, a[0].Error, addr)
					}
				}
			}
			slices.Sort(wantDials)
			if got := fn.dialledAddrs(); !slices.Equal(got, slices.Compact(wantDials)) {
				t.Errorf("dialled %v, want exactly %v", got, wantDials)
			}
			if fn.dials("169.254.169.254:80") != 0 && !slices.Contains(c.allowed, "169.254.169.254") {
				t.Error("the metadata address was dialled")
			}
		})
	}
}
