variable "subscription_id" {
  description = "Azure subscription to deploy into (or leave null and use ARM_SUBSCRIPTION_ID)."
  type        = string
  default     = null
}

variable "name" {
  description = "Prefix of every resource name (letters and digits; the ACR name must be globally unique)."
  type        = string
  default     = "gridflow"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,20}$", var.name))
    error_message = "name: 3-21 lower-case letters and digits, starting with a letter."
  }
}

variable "location" {
  description = "Azure region."
  type        = string
  default     = "westeurope"
}

variable "kubernetes_version" {
  description = "AKS version (null = the region's default)."
  type        = string
  default     = null
}

variable "system_node_vm_size" {
  description = "VM size of the system node pool."
  type        = string
  default     = "Standard_D2s_v5"
}

variable "app_node_vm_size" {
  description = "VM size of the GridFlow node pool (OPF and training are CPU-bound)."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "app_node_min" {
  description = "Minimum nodes of the autoscaled GridFlow pool."
  type        = number
  default     = 2
}

variable "app_node_max" {
  description = "Maximum nodes of the autoscaled GridFlow pool."
  type        = number
  default     = 6
}

variable "acr_sku" {
  description = "Azure Container Registry SKU (Basic, Standard, Premium)."
  type        = string
  default     = "Standard"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = { project = "gridflow" }
}
