variable "name" {
  type = string
}

variable "peer" {
  type = string
}

resource "terraform_data" "first" {
  input = var.name
}

resource "terraform_data" "second" {
  input = "${var.name}+${var.peer}"
}

output "id" {
  value = terraform_data.first.output
}

output "peer_seen" {
  value = terraform_data.second.output
}
