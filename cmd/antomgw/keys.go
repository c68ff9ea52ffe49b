package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/antomgw/antomgw/wire"
)

var keysGenerateDoc = helpText("keys-generate")

func runKeysGenerate(_ context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --private-out FILE --public-out FILE [--force]", keysGenerateDoc)
	privOut := f.str("private-out", "FILE", "", "write the private key here (PEM PKCS #8, mode 0600)")
	pubOut := f.str("public-out", "FILE", "", "write the public key here (PEM SPKI, mode 0644)")
	force := f.boolean("force", "replace existing files")
	f.require("private-out", "public-out")
	if err := f.parse(args); err != nil {
		return err
	}
	if *privOut == "-" || *pubOut == "-" {
		return f.usagef("--private-out and --public-out must name files; keys are never written to stdout")
	}
	if filepath.Clean(*privOut) == filepath.Clean(*pubOut) {
		return f.usagef("--private-out and --public-out name the same file %q", *privOut)
	}
	if !*force {
		for _, p := range []string{*privOut, *pubOut} {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s already exists; use --force to replace it", p)
			}
		}
	}

	key, err := wire.GenerateKey(e.random)
	if err != nil {
		return err
	}
	privPEM, err := wire.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pubPEM, err := wire.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writeKeyFile(*privOut, privPEM, 0o600, *force); err != nil {
		return fmt.Errorf("write private key: %w", err)
	}
	if err := writeKeyFile(*pubOut, pubPEM, 0o644, *force); err != nil {
		if !*force {
			os.Remove(*privOut) // do not leave half a key pair behind
		}
		return fmt.Errorf("write public key: %w", err)
	}
	fmt.Fprintf(e.stdout, "private key: %s (PEM PKCS #8, mode 0600; keep it secret)\n", *privOut)
	fmt.Fprintf(e.stdout, "public key:  %s (PEM SPKI)\n", *pubOut)
	fmt.Fprintf(e.stdout, "fingerprint: %s\n", wire.Fingerprint(&key.PublicKey))
	return nil
}

// writeKeyFile writes data to path with exactly mode perm. Without replace
// it creates the file exclusively (O_EXCL: an existing file or symlink is an
// error); with replace it writes a temporary file in the same directory,
// created 0600, and renames it over path. The file is never, at any moment,
// more open than perm.
func writeKeyFile(path string, data []byte, perm fs.FileMode, replace bool) (err error) {
	var f *os.File
	if replace {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm&0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; use --force to replace it", path)
		}
	}
	if err != nil {
		return err
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	// Chmod after creating: the umask may have narrowed the mode, and perm
	// is the contract. The file starts at 0600 or narrower, so a private key
	// is never more readable than 0600.
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if replace {
		if err = os.Rename(name, path); err != nil {
			return err
		}
	}
	return nil
}
