package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// clientsCommands is the table of "antomgw clients" subcommands. They work
// on the data directory directly and may run while a server uses it: the
// server sees every change with its next request.
func clientsCommands() []*command {
	return []*command{
		{name: "add", summary: "register a client with its first public key", run: runClientsAdd},
		{name: "list", summary: "list clients and their key versions", run: runClientsList},
		{name: "update", summary: "change a client's notify URL or encryption setting", run: runClientsUpdate},
		{name: "add-key", summary: "add a public key version to a client (rotation)", run: runClientsAddKey},
		{name: "retire-key", summary: "stop accepting a client key version", run: runClientsRetireKey},
	}
}

func runClientsAdd(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID --public-key FILE [--key-version N] [--notify-url URL] [--data DIR]",
		"Register a client (a merchant or a POS terminal) and its first public key.\nThe key file may be PEM (SPKI, PKCS #1, certificate) or bare base64 DER.")
	sf := addStoreFlags(f)
	clientID := f.str("client-id", "ID", "", "the Client-Id the client sends")
	keyFile := f.str("public-key", "FILE", "", "the client's RSA public key (2048 bits or more)")
	version := f.integer("key-version", "N", 1, "version number of this key")
	notifyURL := f.str("notify-url", "URL", "", "default URL for notifications when a request names none")
	encrypted := f.boolean("encrypted", "the client's traffic is encrypted: encrypt its notifications (RSA_AES) for its newest key")
	f.require("client-id", "public-key")
	if err := f.parse(args); err != nil {
		return err
	}
	if *version <= 0 {
		return f.usagef("--key-version must be a positive integer")
	}
	if len(*clientID) > 64 {
		return f.usagef("--client-id is %d characters; at most 64", len(*clientID))
	}
	if err := checkNotifyURL(*notifyURL); err != nil {
		return f.usagef("--notify-url: %v", err)
	}
	der, pub, err := readPublicKeyFile(*keyFile)
	if err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	err = st.AddClient(ctx, gateway.Client{ID: *clientID, NotifyURL: *notifyURL, Encrypted: *encrypted, CreatedAt: now},
		gateway.ClientKey{ClientID: *clientID, Version: *version, PublicKey: der, CreatedAt: now})
	if errors.Is(err, gateway.ErrConflict) {
		return fmt.Errorf("client %s is already registered; use 'antomgw clients add-key' to add a key version", *clientID)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "client %s added with key version %d (%s)\n", *clientID, *version, wire.Fingerprint(pub))
	return nil
}

func runClientsList(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" [--data DIR]", "List every client with its notify URL and key versions (retired ones marked).")
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := st.LoadRegistry(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tKEY VERSION\tSTATE\tFINGERPRINT\tENCRYPTED\tGATEWAY KEY\tNOTIFY URL")
	for _, c := range reg.Clients {
		for _, k := range c.Keys {
			state := "active"
			if !k.Active() {
				state = "retired " + k.RetiredAt.Format(time.RFC3339)
			}
			fp := "?"
			if pub, err := gateway.ParsePublicKeyDER(k.PublicKey); err == nil {
				fp = wire.Fingerprint(pub)
			}
			gk := "active"
			if c.GatewayKeyVersion != 0 {
				gk = fmt.Sprintf("pinned %d", c.GatewayKeyVersion)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%v\t%s\t%s\n", c.ID, k.Version, state, fp, c.Encrypted, gk, c.NotifyURL)
		}
	}
	return tw.Flush()
}

func runClientsUpdate(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID [--notify-url URL] [--encrypted=true|false] [--gateway-key-version N] [--data DIR]",
		"Change a client's settings; flags not given keep their value. A running server\nuses the new settings from its next request on.\n\n--gateway-key-version N pins the client's answers and notifications to gateway\nkey version N (published or active) until it is unpinned with 0: a merchant\nwhose SDK holds one gateway key then switches on their own schedule.")
	sf := addStoreFlags(f)
	clientID := f.str("client-id", "ID", "", "the client")
	notifyURL := f.str("notify-url", "URL", "", `default notify URL ("none" clears it)`)
	encrypted := f.boolean("encrypted", "encrypt the client's notifications")
	pin := f.integer("gateway-key-version", "N", 0, "sign this client's answers and notifications with gateway key version N (0: the active version)")
	f.require("client-id")
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := st.LoadRegistry(ctx)
	if err != nil {
		return err
	}
	var c *gateway.Client
	for i := range reg.Clients {
		if reg.Clients[i].ID == *clientID {
			c = &reg.Clients[i]
		}
	}
	if c == nil {
		return fmt.Errorf("client %s is not registered", *clientID)
	}
	f.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "notify-url":
			c.NotifyURL = *notifyURL
			if c.NotifyURL == "none" {
				c.NotifyURL = ""
			}
		case "encrypted":
			c.Encrypted = *encrypted
		case "gateway-key-version":
			c.GatewayKeyVersion = *pin
		}
	})
	if c.GatewayKeyVersion < 0 {
		return f.usagef("--gateway-key-version must be 0 (unpin) or a key version, got %d", c.GatewayKeyVersion)
	}
	if err := checkNotifyURL(c.NotifyURL); err != nil {
		return f.usagef("--notify-url: %v", err)
	}
	err = st.UpdateClient(ctx, *c)
	if errors.Is(err, gateway.ErrNotFound) && c.GatewayKeyVersion != 0 {
		return fmt.Errorf("the gateway has no published or active key version %d to pin client %s to (antomgw keys list shows them)", c.GatewayKeyVersion, c.ID)
	}
	if err != nil {
		return err
	}
	pinText := "the active version"
	if c.GatewayKeyVersion != 0 {
		pinText = fmt.Sprintf("version %d (pinned)", c.GatewayKeyVersion)
	}
	fmt.Fprintf(e.stdout, "client %s: notify URL %q, encrypted %v, gateway key %s\n", c.ID, c.NotifyURL, c.Encrypted, pinText)
	return nil
}

// checkNotifyURL accepts "" or an absolute http(s) URL.
func checkNotifyURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	return nil
}

func runClientsAddKey(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID --public-key FILE --key-version N [--data DIR]",
		"Add a public key version to a client. Requests may then be signed with either\nversion; one without keyVersion is verified with the newest. Retire the old\nversion once every terminal has switched.")
	sf := addStoreFlags(f)
	clientID := f.str("client-id", "ID", "", "the client")
	keyFile := f.str("public-key", "FILE", "", "the new RSA public key")
	version := f.integer("key-version", "N", 0, "version number of the new key")
	f.require("client-id", "public-key", "key-version")
	if err := f.parse(args); err != nil {
		return err
	}
	if *version <= 0 {
		return f.usagef("--key-version must be a positive integer")
	}
	der, pub, err := readPublicKeyFile(*keyFile)
	if err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.AddClientKey(ctx, gateway.ClientKey{ClientID: *clientID, Version: *version, PublicKey: der, CreatedAt: time.Now().UTC()})
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		return fmt.Errorf("client %s is not registered", *clientID)
	case errors.Is(err, gateway.ErrConflict):
		return fmt.Errorf("client %s already has key version %d", *clientID, *version)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "client %s: key version %d added (%s)\n", *clientID, *version, wire.Fingerprint(pub))
	return nil
}

func runClientsRetireKey(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID --key-version N [--data DIR]",
		"Retire a client key version: requests signed with it are refused with KEY_NOT_FOUND\nfrom the next request on.")
	sf := addStoreFlags(f)
	clientID := f.str("client-id", "ID", "", "the client")
	version := f.integer("key-version", "N", 0, "the version to retire")
	f.require("client-id", "key-version")
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.RetireClientKey(ctx, *clientID, *version, time.Now().UTC())
	if errors.Is(err, gateway.ErrNotFound) {
		return fmt.Errorf("client %s has no active key version %d", *clientID, *version)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "client %s: key version %d retired\n", *clientID, *version)
	return nil
}
