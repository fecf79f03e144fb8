resource "terraform_data" "cbd" {
  input            = "x"
  triggers_replace = ["one", "two"]
  lifecycle {
    create_before_destroy = true
  }
}
