e = "from -var-file"
f = "from -var-file"
