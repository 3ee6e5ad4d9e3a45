package keys

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// pkcs11URI is the part of an RFC 7512 URI that selects a token, a private key and the module
// that serves them.
type pkcs11URI struct {
	token      string // token label
	slot       int    // slot-id; -1 when not given
	object     string // key label
	id         []byte // key CKA_ID
	modulePath string
	pin        string // pin-value; secret
	pinSource  string // file holding the PIN
	redacted   string // the URI with pin-value replaced
}

// pathAttrs and queryAttrs are the RFC 7512 attributes a signing reference may use; others
// are refused rather than ignored, so that a typo never selects another key.
var (
	pathAttrs  = map[string]bool{"token": true, "slot-id": true, "object": true, "id": true, "type": true}
	queryAttrs = map[string]bool{"module-path": true, "pin-value": true, "pin-source": true}
)

func parsePKCS11URI(s string) (*pkcs11URI, error) {
	rest := strings.TrimPrefix(s, "pkcs11:")
	path, query, _ := strings.Cut(rest, "?")
	u := &pkcs11URI{slot: -1}
	seen := map[string]bool{}
	var redacted []string
	attrs := func(part, sep string, allowed map[string]bool, where string) error {
		if part == "" {
			return nil
		}
		for _, kv := range strings.Split(part, sep) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("pkcs11 %s attribute %q is not NAME=VALUE", where, redactAttr(kv))
			}
			if !allowed[k] {
				return fmt.Errorf("pkcs11 %s attribute %q is not supported (path: token, slot-id, object, id, type; query: module-path, pin-value, pin-source)", where, k)
			}
			if seen[k] {
				return fmt.Errorf("pkcs11 attribute %q is given twice", k)
			}
			seen[k] = true
			val, err := url.PathUnescape(v)
			if err != nil {
				return fmt.Errorf("pkcs11 attribute %q: bad percent-encoding", k)
			}
			if err := u.set(k, val); err != nil {
				return err
			}
			if k == "pin-value" {
				kv = "pin-value=REDACTED"
			}
			if where == "query" {
				redacted = append(redacted, kv)
			}
		}
		return nil
	}
	if err := attrs(path, ";", pathAttrs, "path"); err != nil {
		return nil, err
	}
	if err := attrs(query, "&", queryAttrs, "query"); err != nil {
		return nil, err
	}
	u.redacted = "pkcs11:" + path
	if len(redacted) > 0 {
		u.redacted += "?" + strings.Join(redacted, "&")
	}
	switch {
	case u.token == "" && u.slot < 0:
		return nil, errors.New("pkcs11 URI names no token (token=LABEL or slot-id=N)")
	case u.token != "" && u.slot >= 0:
		return nil, errors.New("pkcs11 URI gives both token and slot-id: give one")
	case u.object == "" && u.id == nil:
		return nil, errors.New("pkcs11 URI names no key (object=LABEL or id=%XX…)")
	case u.modulePath == "":
		return nil, errors.New("pkcs11 URI names no module (?module-path=/path/to/module.so)")
	case u.pin != "" && u.pinSource != "":
		return nil, errors.New("pkcs11 URI gives both pin-value and pin-source")
	}
	return u, nil
}

func (u *pkcs11URI) set(k, v string) error {
	switch k {
	case "token":
		u.token = v
	case "slot-id":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("pkcs11 slot-id %q is not a non-negative number", v)
		}
		u.slot = n
	case "object":
		u.object = v
	case "id":
		if v == "" {
			return errors.New("pkcs11 id is empty")
		}
		u.id = []byte(v)
	case "type":
		if v != "private" {
			return fmt.Errorf("pkcs11 type %q: signing needs type=private", v)
		}
	case "module-path":
		if !filepath.IsAbs(v) {
			return fmt.Errorf("pkcs11 module-path %q must be absolute", v)
		}
		u.modulePath = v
	case "pin-value":
		u.pin = v
	case "pin-source":
		p := strings.TrimPrefix(v, "file:")
		if p == "" {
			return errors.New("pkcs11 pin-source is empty")
		}
		u.pinSource = p
	}
	return nil
}

// redactAttr hides the value of a malformed pin attribute in an error message.
func redactAttr(kv string) string {
	if strings.HasPrefix(kv, "pin") {
		return "pin…"
	}
	return kv
}
