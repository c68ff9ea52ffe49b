package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/antomgw/antomgw/wire"
)

// gatewayKeysFlag is the repeatable --gateway-public-key [N=]FILE of the
// merchant-side commands (call, listen, bench). N=FILE is the gateway's key
// version N; a plain FILE is a key whose version is not given, used for
// whatever version the gateway names that no N=FILE gives: the key
// "antomgw keys export" printed, the active one.
type gatewayKeysFlag []gatewayKeyFile

type gatewayKeyFile struct {
	version int // 0: not given
	file    string
}

// define adds the flag to f.
func (g *gatewayKeysFlag) define(f *flagSet) {
	f.Var(g, "gateway-public-key", "the gateway's public key (antomgw keys export); N=FILE for key version N, a plain FILE for the active one; repeatable")
	f.note("gateway-public-key", "[N=]FILE")
}

func (g *gatewayKeysFlag) String() string {
	if g == nil {
		return ""
	}
	var parts []string
	for _, k := range *g {
		if k.version == 0 {
			parts = append(parts, k.file)
		} else {
			parts = append(parts, fmt.Sprintf("%d=%s", k.version, k.file))
		}
	}
	return strings.Join(parts, ",")
}

func (g *gatewayKeysFlag) Set(v string) error {
	k := gatewayKeyFile{file: v}
	if n, file, ok := strings.Cut(v, "="); ok {
		ver, err := strconv.Atoi(n)
		if err != nil || ver < 1 {
			return fmt.Errorf("%q: want FILE or N=FILE with N a positive key version", v)
		}
		k = gatewayKeyFile{version: ver, file: file}
	}
	if k.file == "" {
		return errors.New("empty file name")
	}
	for _, have := range *g {
		if have.version == k.version {
			if k.version == 0 {
				return fmt.Errorf("%s: only one key may be given without a version; write N=FILE", k.file)
			}
			return fmt.Errorf("%s: key version %d is given twice", k.file, k.version)
		}
	}
	*g = append(*g, k)
	return nil
}

// load reads the key files: the keys by version, a plain FILE under 0 (as
// antomgw.Config.GatewayKeys takes it).
func (g gatewayKeysFlag) load() (map[int]*rsa.PublicKey, error) {
	keys := make(map[int]*rsa.PublicKey, len(g))
	for _, k := range g {
		pub, err := loadPublicKey(k.file)
		if err != nil {
			return nil, err
		}
		keys[k.version] = pub
	}
	return keys, nil
}

// verifyGatewaySignature verifies a signature of the gateway with the key of
// the version its header names (the highest given when it names none), or
// the key given without a version. The error says which version is missing
// and the command that exports it.
func verifyGatewaySignature(keys map[int]*rsa.PublicKey, sh wire.SignatureHeader, m wire.Message) error {
	version := sh.KeyVersion
	if version == 0 {
		for v := range keys {
			version = max(version, v)
		}
	}
	key, listed := keys[version]
	if !listed || version == 0 {
		key = keys[0]
	}
	if key == nil {
		return fmt.Errorf("signed with gateway key version %d, and no --gateway-public-key gives it (given: %s); get it with: antomgw keys export --key-version %d",
			version, givenVersions(keys), version)
	}
	if err := m.Verify(key, sh); err != nil {
		if !listed && version != 0 {
			return fmt.Errorf("signed with gateway key version %d, which the --gateway-public-key given without a version does not verify (the gateway may have rotated); get it with: antomgw keys export --key-version %d", version, version)
		}
		return fmt.Errorf("signature (keyVersion %d) does not verify with --gateway-public-key: %v", sh.KeyVersion, err)
	}
	return nil
}

func givenVersions(keys map[int]*rsa.PublicKey) string {
	vs := sortedVersions(keys)
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
		if v == 0 {
			parts[i] = "one without a version"
		}
	}
	return strings.Join(parts, ", ")
}

// sortedVersions returns the versions of keys, ascending.
func sortedVersions(keys map[int]*rsa.PublicKey) []int {
	vs := make([]int, 0, len(keys))
	for v := range keys {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}
