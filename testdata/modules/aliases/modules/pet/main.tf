terraform {
  required_providers {
    random = {
      source                = "hashicorp/random"
      configuration_aliases = [random.other]
    }
  }
}

resource "random_id" "default" {
  byte_length = 4
}

resource "random_id" "other" {
  provider    = random.other
  byte_length = 4
}

output "ids" {
  value = [random_id.default.hex, random_id.other.hex]
}
