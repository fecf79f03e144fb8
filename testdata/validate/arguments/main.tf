resource "terraform_data" "x" {
  input = "fine"

  lifecycle {
    create_before_destroy = true
    ignore_changess       = [input]
  }
}

variable "v" {
  default = 1
  typo    = 2
}

output "o" {
  value       = 1
  description = "d"
  sensitve    = true
}

resource "terraform_data" "e" {
  count    = 1
  for_each = {}
}
