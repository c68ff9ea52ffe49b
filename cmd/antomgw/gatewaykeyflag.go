package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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

// sortedVersions returns the versions of keys, ascending.
func sortedVersions(keys map[int]*rsa.PublicKey) []int {
	vs := make([]int, 0, len(keys))
	for v := range keys {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}
