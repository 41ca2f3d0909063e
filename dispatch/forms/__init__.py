"""Web forms (Flask-WTF): input shape and messages; business rules live in the services."""
