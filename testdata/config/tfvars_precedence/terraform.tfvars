b = "from terraform.tfvars"
c = "from terraform.tfvars"
