terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.110"
    }
  }
  # State: configure a remote backend (azurerm storage account) per environment, e.g.
  #   terraform init -backend-config=backend.hcl
  # with backend.hcl kept outside the repository.
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}
