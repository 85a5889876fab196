"""mlatlas.nn"""
