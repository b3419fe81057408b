output "resource_group" {
  description = "Resource group of the deployment."
  value       = azurerm_resource_group.gf.name
}

output "acr_login_server" {
  description = "Registry to push the images to (docker tag gridflow/<svc> <this>/gridflow/<svc>)."
  value       = azurerm_container_registry.gf.login_server
}

output "aks_name" {
  description = "AKS cluster name (az aks get-credentials -g <resource_group> -n <this>)."
  value       = azurerm_kubernetes_cluster.gf.name
}

output "aks_oidc_issuer_url" {
  description = "OIDC issuer of the cluster (for workload identity)."
  value       = azurerm_kubernetes_cluster.gf.oidc_issuer_url
}
