resource "terraform_data" "policy" {
  input = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Deny", Action = ["s3:GetObject", "s3:PutObject"] }] })
}
resource "terraform_data" "ws" {
  input = "{\"a\":1}"
}
resource "terraform_data" "to_json" {
  input = "[1,2]"
}
resource "terraform_data" "new_json" {
  input = jsonencode({ k = "v" })
}
