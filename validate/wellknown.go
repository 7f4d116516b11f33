package validate

// WellKnownAudience returns the name of a Microsoft resource for an audience
// value ("Microsoft Graph" for 00000003-0000-0000-c000-000000000000 or
// https://graph.microsoft.com[/]). A token for one of them was requested for
// the wrong resource; the name (never the raw claim) is safe to show.
func WellKnownAudience(aud string) (string, bool) {
	switch aud {
	case "00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com", "https://graph.microsoft.com/", "https://graph.microsoft.us", "https://graph.microsoft.us/", "https://dod-graph.microsoft.us", "https://dod-graph.microsoft.us/", "https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/":
		return "Microsoft Graph", true
	case "00000002-0000-0000-c000-000000000000", "https://graph.windows.net", "https://graph.windows.net/":
		return "Azure AD Graph", true
	case "https://management.azure.com", "https://management.azure.com/", "https://management.core.windows.net", "https://management.core.windows.net/", "797f4846-ba00-4fd7-ba43-dac1f8f63013":
		return "Azure Resource Manager", true
	case "https://vault.azure.net", "https://vault.azure.net/", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093":
		return "Azure Key Vault", true
	case "https://storage.azure.com", "https://storage.azure.com/":
		return "Azure Storage", true
	case "https://database.windows.net", "https://database.windows.net/":
		return "Azure SQL Database", true
	case "00000002-0000-0ff1-ce00-000000000000", "https://outlook.office365.com", "https://outlook.office365.com/":
		return "Exchange Online", true
	case "00000003-0000-0ff1-ce00-000000000000":
		return "SharePoint Online", true
	}
	return "", false
}
