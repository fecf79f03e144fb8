resource "terraform_data" "a" {
  input = "x"
  lifecycle {
    postcondition {
      condition     = self.output == "x"
      error_message = "must be x"
    }
  }
}
output "o" {
  value = terraform_data.a.output
  precondition {
    condition     = terraform_data.a.output != ""
    error_message = "empty"
  }
}
