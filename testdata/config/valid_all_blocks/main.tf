terraform {
  required_version = ">= 1.5"
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = "~> 3.0"
    }
    local = "~> 2.4"
    aws = {
      version = ">= 5.0"
    }
  }
  backend "local" {
    path = "state/terraform.tfstate"
  }
}

provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

variable "name" {
  type        = string
  default     = "demo"
  description = "The name of everything."
  validation {
    condition     = length(var.name) > 2
    error_message = "Too short."
  }
}

variable "secret" {
  type      = string
  sensitive = true
  nullable  = false
}

variable "anything" {}
