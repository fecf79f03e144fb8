variable "region" {
  type = string
}

variable "subnet" {
  type = string
}

resource "terraform_data" "server" {
  input = {
    region = var.region
    subnet = var.subnet
    dir    = path.module
  }
}

output "label" {
  value = "${var.region}:${terraform_data.server.output.region}"
}
