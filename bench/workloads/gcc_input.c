/*
 * gcc workload input: a small, ordinary C translation unit (a string-keyed
 * hash table, a sort and some text processing) compiled with `gcc -O2 -c`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *key;
	long count;
	struct entry *next;
};

struct table {
	struct entry **buckets;
	size_t nbuckets;
	size_t size;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int table_init(struct table *t, size_t nbuckets)
{
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = nbuckets;
	t->size = 0;
	return 0;
}

static int table_grow(struct table *t)
{
	size_t n = t->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			size_t j = hash_str(e->key) & (n - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

int table_add(struct table *t, const char *key, long delta)
{
	size_t i = hash_str(key) & (t->nbuckets - 1);
	struct entry *e;

	for (e = t->buckets[i]; e; e = e->next) {
		if (!strcmp(e->key, key)) {
			e->count += delta;
			return 0;
		}
	}
	if (t->size + 1 > t->nbuckets * 3 / 4) {
		int err = table_grow(t);

		if (err)
			return err;
		i = hash_str(key) & (t->nbuckets - 1);
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = strdup(key);
	if (!e->key) {
		free(e);
		return -ENOMEM;
	}
	e->count = delta;
	e->next = t->buckets[i];
	t->buckets[i] = e;
	t->size++;
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

struct entry **table_sorted(const struct table *t)
{
	struct entry **v = malloc((t->size + 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct entry *e = t->buckets[i]; e; e = e->next)
			v[n++] = e;
	qsort(v, n, sizeof(*v), by_count);
	v[n] = NULL;
	return v;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

int count_words(FILE *in, struct table *t)
{
	char word[128];
	size_t len = 0;
	int c, err;

	while ((c = fgetc(in)) != EOF) {
		if (isalnum(c) || c == '_') {
			if (len + 1 < sizeof(word))
				word[len++] = (char)tolower(c);
			continue;
		}
		if (len) {
			word[len] = '\0';
			len = 0;
			err = table_add(t, word, 1);
			if (err)
				return err;
		}
	}
	if (len) {
		word[len] = '\0';
		return table_add(t, word, 1);
	}
	return ferror(in) ? -EIO : 0;
}

int report(FILE *out, const struct table *t, size_t top)
{
	struct entry **v = table_sorted(t);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; v[i] && i < top; i++)
		fprintf(out, "%8ld  %s\n", v[i]->count, v[i]->key);
	free(v);
	return 0;
}

int wordfreq_main(int argc, char **argv)
{
	struct table t;
	int err = table_init(&t, 64);

	if (err)
		return 1;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			continue;
		}
		err = count_words(f, &t);
		fclose(f);
		if (err)
			break;
	}
	if (!err)
		err = report(stdout, &t, 20);
	table_free(&t);
	return err ? 1 : 0;
}
