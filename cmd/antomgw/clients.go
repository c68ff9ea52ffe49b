package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

func runClientsAdd(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --client-id ID --public-key FILE [--key-version N] [--notify-url URL] [--data DIR]",
		"Register a client (a merchant or a POS terminal) and its first public key.\nThe key file may be PEM (SPKI, PKCS #1, certificate) or bare base64 DER.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "the Client-Id the client sends")
			keyFile := f.str("public-key", "FILE", "", "the client's RSA public key (2048 bits or more)")
			version := f.integer("key-version", "N", 1, "version number of this key")
			notifyURL := f.str("notify-url", "URL", "", "default URL for notifications when a request names none")
			encrypted := f.boolean("encrypted", "the client's traffic is encrypted: encrypt its notifications (RSA_AES) for its newest key")
			f.require("client-id", "public-key")
			return func(svc *gateway.Service) error {
				der, pub, err := readPublicKeyFile(*keyFile)
				if err != nil {
					return err
				}
				c, err := svc.AddClient(ctx, gateway.NewClient{ID: *clientID, NotifyURL: *notifyURL, Encrypted: *encrypted, PublicKey: der, KeyVersion: *version})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "client %s added with key version %d (%s)\n", c.ID, c.Keys[0].Version, wire.Fingerprint(pub))
				return nil
			}
		})
}

func runClientsList(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--json] [--data DIR]", "List every client with its notify URL and key versions (retired ones marked).", func(f *flagSet) func(svc *gateway.Service) error {
		asJSON := f.boolean("json", "print one JSON document")
		return func(svc *gateway.Service) error {
			clients, err := svc.Clients(ctx)
			if err != nil {
				return err
			}
			views := make([]view.Client, 0, len(clients))
			for i := range clients {
				views = append(views, view.NewClient(&clients[i]))
			}
			if *asJSON {
				return writeJSON(e.stdout, struct {
					Clients []view.Client `json:"clients"`
				}{views})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT ID\tKEY VERSION\tSTATE\tFINGERPRINT\tENCRYPTED\tGATEWAY KEY\tNOTIFY URL")
			for _, c := range views {
				gk := "active"
				if c.GatewayKeyVersion != 0 {
					gk = fmt.Sprintf("pinned %d", c.GatewayKeyVersion)
				}
				for _, k := range c.Keys {
					state := k.State
					if !k.RetiredAt.IsZero() {
						state += " " + k.RetiredAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%v\t%s\t%s\n", c.ClientID, k.Version, state, k.Fingerprint, c.Encrypted, gk, c.NotifyURL)
				}
			}
			return tw.Flush()
		}
	})
}

func runClientsUpdate(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --client-id ID [--notify-url URL] [--encrypted=true|false] [--gateway-key-version N] [--data DIR]",
		"Change a client's settings; flags not given keep their value. A running server\nuses the new settings from its next request on.\n\n--gateway-key-version N pins the client's answers and notifications to gateway\nkey version N (published or active) until it is unpinned with 0: a merchant\nwhose SDK holds one gateway key then switches on their own schedule.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "the client")
			notifyURL := f.str("notify-url", "URL", "", `default notify URL ("none" clears it)`)
			encrypted := f.boolean("encrypted", "encrypt the client's notifications")
			pin := f.integer("gateway-key-version", "N", 0, "sign this client's answers and notifications with gateway key version N (0: the active version)")
			f.require("client-id")
			return func(svc *gateway.Service) error {
				u := gateway.ClientUpdate{ID: *clientID}
				f.Visit(func(fl *flag.Flag) {
					switch fl.Name {
					case "notify-url":
						if *notifyURL == "none" {
							*notifyURL = ""
						}
						u.NotifyURL = notifyURL
					case "encrypted":
						u.Encrypted = encrypted
					case "gateway-key-version":
						u.GatewayKeyVersion = pin
					}
				})
				c, err := svc.UpdateClient(ctx, u)
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
		})
}

func runClientsAddKey(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --client-id ID --public-key FILE --key-version N [--data DIR]",
		"Add a public key version to a client. Requests may then be signed with either\nversion; one without keyVersion is verified with the newest first. Retire the\nold version once every terminal has switched.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "the client")
			keyFile := f.str("public-key", "FILE", "", "the new RSA public key")
			version := f.integer("key-version", "N", 0, "version number of the new key")
			f.require("client-id", "public-key", "key-version")
			return func(svc *gateway.Service) error {
				der, pub, err := readPublicKeyFile(*keyFile)
				if err != nil {
					return err
				}
				if err := svc.AddClientKey(ctx, *clientID, *version, der); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "client %s: key version %d added (%s)\n", *clientID, *version, wire.Fingerprint(pub))
				return nil
			}
		})
}

func runClientsRetireKey(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --client-id ID --key-version N [--force] [--data DIR]",
		"Retire a client key version: requests signed with it are refused from the next\nrequest on, whatever key version they name. A retired key cannot be restored;\nretiring a client's last active key needs --force.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "the client")
			version := f.integer("key-version", "N", 0, "the version to retire")
			force := f.boolean("force", "retire it even when it is the client's last active key (every request of the client is refused then)")
			f.require("client-id", "key-version")
			return func(svc *gateway.Service) error {
				if err := svc.RetireClientKey(ctx, *clientID, *version, *force); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "client %s: key version %d retired\n", *clientID, *version)
				return nil
			}
		})
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
