# A first cairn configuration: no cloud account, local state.
# It names a pet, writes a greeting file for it, and records a build marker.

terraform {
  required_providers {
    random = {
      source = "hashicorp/random"
    }
    local = {
      source = "hashicorp/local"
    }
  }
}

variable "greeting" {
  type        = string
  default     = "Hello"
  description = "How to greet the pet."
}

variable "pets" {
  type    = set(string)
  default = ["cat", "dog"]
}

resource "random_pet" "name" {
  for_each = var.pets
  length   = 2
  prefix   = each.key
}

resource "random_id" "build" {
  byte_length = 4
}

locals {
  lines = [for kind, pet in random_pet.name : "${var.greeting}, ${pet.id}!"]
}

resource "local_file" "greeting" {
  filename = "${path.module}/out/greeting.txt"
  content  = join("\n", concat(local.lines, ["build ${random_id.build.hex}", ""]))
}

resource "terraform_data" "marker" {
  input = {
    build = random_id.build.hex
    file  = local_file.greeting.filename
  }
}

output "pets" {
  value = [for p in random_pet.name : p.id]
}

output "greeting_file" {
  value = local_file.greeting.filename
}
