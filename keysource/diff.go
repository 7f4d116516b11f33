package keysource

import "github.com/entragate/entragate/jwk"

type setDiff struct {
	added, removed, replaced []string
}

func (d setDiff) changed() bool {
	return len(d.added)+len(d.removed)+len(d.replaced) > 0
}

func keyID(k *jwk.Key) string {
	if k.Kid != "" {
		return k.Kid
	}
	return "x5t:" + k.X5t
}

// diffSets lists kids added, removed, and kept with different key material.
func diffSets(old, cur *jwk.Set) setDiff {
	var d setDiff
	prev := make(map[string]*jwk.Key, old.Len())
	for _, k := range old.Keys() {
		prev[keyID(k)] = k
	}
	seen := make(map[string]bool, cur.Len())
	for _, k := range cur.Keys() {
		id := keyID(k)
		seen[id] = true
		p, ok := prev[id]
		switch {
		case !ok:
			d.added = append(d.added, id)
		case !sameKey(p, k):
			d.replaced = append(d.replaced, id)
		}
	}
	for _, k := range old.Keys() {
		if id := keyID(k); !seen[id] {
			d.removed = append(d.removed, id)
		}
	}
	return d
}

func sameKey(a, b *jwk.Key) bool {
	if a.Public == nil || b.Public == nil {
		return a.Public == b.Public
	}
	return a.Public.Equal(b.Public) && a.Issuer == b.Issuer && a.Alg == b.Alg && a.X5t == b.X5t
}
