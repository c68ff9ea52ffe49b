package notify

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestAddressClasses: every block of the IANA special-purpose registries
// (and multicast, reserved, cloud metadata) is in its class, including the
// ones issue 14 found missing, and IPv6 forms that carry an IPv4 address
// are judged by it too.
func TestAddressClasses(t *testing.T) {
	const (
		pub  = classPublic
		priv = classPrivate
		ref  = classRefused
	)
	cases := []struct {
		addr string
		want addrClass
	}{
		// Public.
		{"8.8.8.8", pub}, {"1.1.1.1", pub}, {"100.63.255.255", pub}, {"100.128.0.0", pub},
		{"198.17.255.255", pub}, {"198.20.0.0", pub}, {"192.0.1.255", pub}, {"223.255.255.255", pub},
		{"192.31.196.1", pub}, {"192.175.48.1", pub}, {"2606:4700::1111", pub}, {"2001:4860:4860::8888", pub},
		{"2001:1::1", pub}, {"2001:4:112::1", pub}, {"2001:20::1", pub}, {"2620:4f:8000::1", pub},
		{"64:ff9b::808:808", pub}, {"2002:808:808::1", pub}, {"::ffff:8.8.8.8", pub},

		// Private and loopback: sent to only with AllowPrivate.
		{"127.0.0.1", priv}, {"127.255.255.254", priv}, {"10.1.2.3", priv}, {"172.16.0.1", priv},
		{"172.31.255.255", priv}, {"192.168.1.1", priv}, {"100.64.0.1", priv}, {"100.127.255.254", priv},
		{"::1", priv}, {"fc00::1", priv}, {"fd12:3456::1", priv}, {"fec0::1", priv}, {"fefe::1", priv},
		{"64:ff9b:1::1", priv}, {"::ffff:10.0.0.1", priv}, {"::ffff:127.0.0.1", priv},
		{"64:ff9b::a00:1", priv},        // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", priv},       // NAT64 of 127.0.0.1
		{"2002:c0a8:101::1", priv},      // 6to4 of 192.168.1.1
		{"2002:6440:1::1", priv},        // 6to4 of 100.64.0.1
		{"2001:0:1:1::f5ff:fffe", priv}, // Teredo, client 10.0.0.1

		// Refused whatever AllowPrivate says.
		{"100.100.100.200", ref}, {"169.254.169.254", ref}, {"169.254.170.2", ref}, {"169.254.0.1", ref},
		{"168.63.129.16", ref}, {"192.0.0.192", ref},
		{"198.18.0.1", ref}, {"198.19.255.255", ref}, {"192.0.0.1", ref}, {"192.0.0.170", ref},
		{"240.0.0.1", ref}, {"254.1.2.3", ref}, {"255.255.255.255", ref}, {"0.0.0.0", ref}, {"0.1.2.3", ref},
		{"224.0.0.1", ref}, {"239.255.255.250", ref}, {"192.0.2.1", ref}, {"198.51.100.1", ref},
		{"203.0.113.1", ref}, {"192.88.99.1", ref},
		{"::", ref}, {"fe80::1", ref}, {"febf::1", ref}, {"ff02::1", ref}, {"ff05::2", ref},
		{"fd00:ec2::254", ref}, {"fd00:ec2::23", ref}, {"100::1", ref}, {"100:0:0:1::1", ref},
		{"2001:db8::1", ref}, {"3fff::1", ref}, {"2001:2::1", ref}, {"2001:10::1", ref}, {"2001:100::1", ref},
		{"5f00::1", ref}, {"4000::1", ref}, {"::a9fe:a9fe", ref}, {"::8.8.8.8", ref}, {"::10.0.0.1", ref},
		{"::ffff:169.254.169.254", ref}, {"::ffff:100.100.100.200", ref}, {"::ffff:0:a00:1", ref},
		{"64:ff9b::a9fe:a9fe", ref},    // NAT64 of 169.254.169.254
		{"64:ff9b::6464:64c8", ref},    // NAT64 of 100.100.100.200
		{"64:ff9b::c612:1", ref},       // NAT64 of 198.18.0.1
		{"64:ff9b::ffff:ffff", ref},    // NAT64 of 255.255.255.255
		{"2002:a9fe:a9fe::1", ref},     // 6to4 of 169.254.169.254
		{"2002:f000:1::1", ref},        // 6to4 of 240.0.0.1
		{"2002:c000:1::1", ref},        // 6to4 of 192.0.0.1
		{"2001:0:1:1::5601:5601", ref}, // Teredo, client 169.254.169.254 (inverted)
		{"fe80::1%eth0", ref},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		got, why := classify(a)
		if got != c.want {
			t.Errorf("classify(%s) = %d (%s), want %d", c.addr, got, why, c.want)
		}
		if got != classPublic && why == "" {
			t.Errorf("classify(%s): no reason given", c.addr)
		}
	}
}

// TestCheckAddr: private addresses pass with AllowPrivate, refused ones
// only inside AllowCIDRs; the error names the address, the reason and the
// flag that allows it.
func TestCheckAddr(t *testing.T) {
	strict := &Worker{}
	private := &Worker{AllowPrivate: true}
	meta := &Worker{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32"), netip.MustParsePrefix("10.9.0.0/16")}}
	check := func(w *Worker, addr string) error { return w.checkAddr(netip.MustParseAddr(addr)) }

	for _, a := range []string{"8.8.8.8", "2606:4700::1111"} {
		if err := check(strict, a); err != nil {
			t.Errorf("strict worker refuses public %s: %v", a, err)
		}
	}
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "100.64.0.1", "fd00::1", "::1"} {
		err := check(strict, a)
		var re *refusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), "--notify-allow-private") {
			t.Errorf("strict worker on %s: %v; want refused, naming the address and --notify-allow-private", a, err)
		}
		if err := check(private, a); err != nil {
			t.Errorf("AllowPrivate worker refuses %s: %v", a, err)
		}
	}
	for _, a := range []string{"169.254.169.254", "100.100.100.200", "fe80::1", "255.255.255.255", "64:ff9b::a9fe:a9fe"} {
		err := check(private, a)
		if err == nil || !strings.Contains(err.Error(), "--notify-allow-cidr") || strings.Contains(err.Error(), "--notify-allow-private") {
			t.Errorf("AllowPrivate worker on %s: %v; want refused, pointing at --notify-allow-cidr only", a, err)
		}
	}
	if err := check(private, "169.254.169.254"); err == nil || !strings.Contains(err.Error(), "cloud metadata") {
		t.Errorf("169.254.169.254: %v, want the reason to say cloud metadata", err)
	}
	for _, a := range []string{"169.254.169.254", "::ffff:169.254.169.254", "10.9.1.1"} {
		if err := check(meta, a); err != nil {
			t.Errorf("AllowCIDRs worker refuses %s: %v", a, err)
		}
	}
	for _, a := range []string{"169.254.169.253", "10.8.1.1", "100.100.100.200"} {
		if err := check(meta, a); err == nil {
			t.Errorf("AllowCIDRs worker allows %s, outside its prefixes", a)
		}
	}
}

func TestParseCIDRs(t *testing.T) {
	got, err := ParseCIDRs(" 10.1.0.0/16, 169.254.169.254 ,fd00:1::/64,,10.2.3.4/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.1.0.0/16", "169.254.169.254/32", "fd00:1::/64", "10.0.0.0/8"}
	if len(got) != len(want) {
		t.Fatalf("ParseCIDRs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("item %d = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0/8", "::ffff:10.0.0.0/104"} {
		if _, err := ParseCIDRs(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseCIDRs(%q) = %v, want an error quoting it", bad, err)
		}
	}
}
