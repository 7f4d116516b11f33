package authority

import "strings"

// Well-known tenant names and IDs.
const (
	TenantOrganizations = "organizations"
	TenantCommon        = "common"
	TenantConsumers     = "consumers"
	// PersonalTenantID is the tenant of personal Microsoft accounts (MSA).
	PersonalTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// TenantKind classifies a configured tenant.
type TenantKind int

// Tenant kinds.
const (
	TenantInvalid           TenantKind = iota
	TenantGUID                         // a single tenant by ID
	TenantDomain                       // a single tenant by domain name (contoso.onmicrosoft.com, B2C)
	TenantKindOrganizations            // any work/school tenant
	TenantKindCommon                   // work/school and personal accounts
	TenantKindConsumers                // personal accounts only
)

// String names the kind.
func (k TenantKind) String() string {
	switch k {
	case TenantGUID:
		return "guid"
	case TenantDomain:
		return "domain"
	case TenantKindOrganizations:
		return "organizations"
	case TenantKindCommon:
		return "common"
	case TenantKindConsumers:
		return "consumers"
	}
	return "invalid"
}

// Multi reports whether the kind admits tokens from more than one tenant.
func (k TenantKind) Multi() bool {
	return k == TenantKindOrganizations || k == TenantKindCommon || k == TenantKindConsumers
}

// ClassifyTenant returns the kind of a configured tenant (case-insensitive
// for the keywords and GUIDs).
func ClassifyTenant(t string) TenantKind {
	switch strings.ToLower(t) {
	case "":
		return TenantInvalid
	case TenantOrganizations:
		return TenantKindOrganizations
	case TenantCommon:
		return TenantKindCommon
	case TenantConsumers:
		return TenantKindConsumers
	}
	if IsGUID(strings.ToLower(t)) {
		return TenantGUID
	}
	if isDomain(t) {
		return TenantDomain
	}
	return TenantInvalid
}

// IsGUID reports whether s is a canonical lower-case GUID
// (8-4-4-4-12 hex digits), the form Entra uses in "tid" and issuers.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func isDomain(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
