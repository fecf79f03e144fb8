variable "upstream" {
  type = string
}

resource "terraform_data" "tag" {
  input = "bee"
}

resource "terraform_data" "consumer" {
  input = "seen ${var.upstream}"
}

output "label" {
  value = terraform_data.tag.output
}

output "seen" {
  value = terraform_data.consumer.output
}
