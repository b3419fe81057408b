# GridFlow on Azure: a resource group, a container registry for the images of deploy/, and an
# AKS cluster that pulls from it (managed identity, no registry passwords). The workloads are
# deployed with kustomize (infra/k8s). No secrets live here: API keys go into a Kubernetes
# Secret (infra/k8s/overlays/*), state into a remote backend.

resource "azurerm_resource_group" "gf" {
  name     = "${var.name}-rg"
  location = var.location
  tags     = var.tags
}

resource "azurerm_container_registry" "gf" {
  name                = "${var.name}acr"
  resource_group_name = azurerm_resource_group.gf.name
  location            = azurerm_resource_group.gf.location
  sku                 = var.acr_sku
  admin_enabled       = false
  tags                = var.tags
}

resource "azurerm_log_analytics_workspace" "gf" {
  name                = "${var.name}-logs"
  resource_group_name = azurerm_resource_group.gf.name
  location            = azurerm_resource_group.gf.location
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = var.tags
}

resource "azurerm_kubernetes_cluster" "gf" {
  name                = "${var.name}-aks"
  resource_group_name = azurerm_resource_group.gf.name
  location            = azurerm_resource_group.gf.location
  dns_prefix          = var.name
  kubernetes_version  = var.kubernetes_version
  tags                = var.tags

  default_node_pool {
    name                         = "system"
    vm_size                      = var.system_node_vm_size
    node_count                   = 1
    only_critical_addons_enabled = true
    os_disk_size_gb              = 64
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "azure"
  }

  oms_agent {
    log_analytics_workspace_id = azurerm_log_analytics_workspace.gf.id
  }

  # Managed Prometheus can scrape the services' /metrics (pod annotations in infra/k8s).
  monitor_metrics {}
}

resource "azurerm_kubernetes_cluster_node_pool" "apps" {
  name                  = "apps"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.gf.id
  vm_size               = var.app_node_vm_size
  enable_auto_scaling   = true
  min_count             = var.app_node_min
  max_count             = var.app_node_max
  os_disk_size_gb       = 128
  tags                  = var.tags
}

# The cluster's kubelet identity may pull images from the registry.
resource "azurerm_role_assignment" "aks_pull" {
  scope                            = azurerm_container_registry.gf.id
  role_definition_name             = "AcrPull"
  principal_id                     = azurerm_kubernetes_cluster.gf.kubelet_identity[0].object_id
  skip_service_principal_aad_check = true
}
