package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

// The gateway key commands: export, rotate, activate, list, retire. A
// gateway key version is published (exportable, signing only for clients
// pinned to it), active (signing for everyone else) or retired.

var keysExportDoc = helpText("keys-export")

func runKeysExport(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--key-version N] [--data DIR]", keysExportDoc, func(f *flagSet) func(svc *gateway.Service) error {
		version := f.integer("key-version", "N", 0, "key version to export (default: the active version)")
		return func(svc *gateway.Service) error {
			if *version < 0 {
				return f.usagef("--key-version must be a positive integer, got %d", *version)
			}
			if _, _, err := svc.EnsureGatewayKey(ctx); err != nil {
				return err
			}
			k, err := svc.GatewayKey(ctx, *version)
			if err != nil {
				return err
			}
			pemBytes, err := wire.MarshalPublicKeyPEM(k.PublicKey)
			if err != nil {
				return err
			}
			if _, err := e.stdout.Write(pemBytes); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "gateway key version %d (%s, %s)\n", k.Version, k.State, wire.Fingerprint(k.PublicKey))
			return nil
		}
	})
}

var keysRotateDoc = helpText("keys-rotate")

var rotateNextSteps = helpText("keys-rotate-next")

func runKeysRotate(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--activate] [--data DIR]", keysRotateDoc, func(f *flagSet) func(svc *gateway.Service) error {
		activate := f.boolean("activate", "make the new version active at once")
		return func(svc *gateway.Service) error {
			k, active, err := svc.RotateGatewayKey(ctx, *activate)
			if err != nil {
				return err
			}
			ver, fp := k.Version, wire.Fingerprint(k.PublicKey)
			if *activate {
				fmt.Fprintf(e.stdout, "gateway key version %d created and active (%s); version %d is now published.\n", ver, fp, active)
				fmt.Fprintf(e.stdout, "Merchants verify with it from now on: antomgw keys export --key-version %d\n", ver)
				return nil
			}
			fmt.Fprintf(e.stdout, "gateway key version %d created, published (%s); version %d still signs.\n", ver, fp, active)
			fmt.Fprintf(e.stdout, rotateNextSteps, ver, active)
			return nil
		}
	})
}

func runKeysActivate(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --key-version N [--data DIR]",
		"Make gateway key version N the active one: it signs the answers and\nnotifications of every client not pinned to another version, from the next\nrequest on (on PostgreSQL, every node's within its --registry-refresh). The\nversion active until then stays published.", func(f *flagSet) func(svc *gateway.Service) error {
			version := f.integer("key-version", "N", 0, "the version to activate")
			f.require("key-version")
			return func(svc *gateway.Service) error {
				if err := svc.ActivateGatewayKey(ctx, *version); err != nil {
					return err
				}
				keys, err := svc.GatewayKeys(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "gateway key version %d is active", *version)
				var parts []string
				for _, k := range keys {
					if len(k.PinnedClients) > 0 {
						parts = append(parts, fmt.Sprintf("%s on version %d", strings.Join(k.PinnedClients, ", "), k.Version))
					}
				}
				if len(parts) > 0 {
					fmt.Fprintf(e.stdout, "; pinned clients keep their version: %s", strings.Join(parts, "; "))
				}
				fmt.Fprintln(e.stdout)
				return nil
			}
		})
}

func runKeysRetire(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --key-version N [--data DIR]",
		"Retire gateway key version N: it signs nothing and opens nothing any more.\nRefused while N is active or a client is pinned to it.", func(f *flagSet) func(svc *gateway.Service) error {
			version := f.integer("key-version", "N", 0, "the version to retire")
			f.require("key-version")
			return func(svc *gateway.Service) error {
				if err := svc.RetireGatewayKey(ctx, *version); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "gateway key version %d retired\n", *version)
				return nil
			}
		})
}

func runKeysList(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--json] [--data DIR]",
		"List every gateway key version: its state (published, active, retired),\nfingerprint, times, and the clients pinned to it.", func(f *flagSet) func(svc *gateway.Service) error {
			asJSON := f.boolean("json", "print one JSON document")
			return func(svc *gateway.Service) error {
				if _, _, err := svc.EnsureGatewayKey(ctx); err != nil {
					return err
				}
				keys, err := svc.GatewayKeys(ctx)
				if err != nil {
					return err
				}
				views := make([]view.GatewayKey, 0, len(keys))
				for i := range keys {
					views = append(views, view.NewGatewayKey(&keys[i]))
				}
				if *asJSON {
					return writeJSON(e.stdout, struct {
						GatewayKeys []view.GatewayKey `json:"gatewayKeys"`
					}{views})
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tSTATE\tFINGERPRINT\tCREATED\tPINNED CLIENTS")
				for _, v := range views {
					state := v.State
					if !v.RetiredAt.IsZero() {
						state += " " + v.RetiredAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Version, state, v.Fingerprint, v.CreatedAt.Format(time.RFC3339), strings.Join(v.PinnedClients, ","))
				}
				return tw.Flush()
			}
		})
}
