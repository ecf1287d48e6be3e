"""Households, budgets, referrals, entitlements, goal contracts and cards."""
