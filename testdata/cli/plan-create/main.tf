variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

resource "terraform_data" "each" {
  for_each = toset(var.names)
  input    = "hello ${each.key}"
}

resource "random_string" "s" {
  count   = 2
  length  = 8
  special = false
}

resource "local_sensitive_file" "secret" {
  filename = "${path.module}/secret.txt"
  content  = "do not print me"
}

output "greetings" {
  value = [for k, v in terraform_data.each : v.input]
}
