"""Money: subsidy rules, monthly statements and their exports, and the dashboard's figures."""
