terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.dst]
    }
  }
}

variable "subnet_ids" {
  type = list(string)
}

resource "terraform_data" "app" {
  input = var.subnet_ids
}
