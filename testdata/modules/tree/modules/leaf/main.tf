variable "label" {
  type = string
}

resource "terraform_data" "this" {
  input = var.label
}

output "id" {
  value = terraform_data.this.id
}

output "label" {
  value = terraform_data.this.output
}
